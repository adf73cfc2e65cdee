"""Thin handlers shared by the VNF package (SOL005 clause 9) and NSD/PNFD (clause 5) APIs.

Each factory returns a handler for one kind of catalogue entry: parse into a wire
model, call one function of ``nfvo.catalog.service.Catalogue``, render the answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web

from nfvo.catalog.files import descriptor_entry, is_single_descriptor, zip_of
from nfvo.catalog.records import CatalogRecord, Kind, StoredFile
from nfvo.catalog.service import Catalogue
from nfvo.catalog.store import noun
from nfvo.catalog.views import filter_indexes, wire_document
from nfvo.sol.auth import principal_of
from nfvo.sol.bodies import json_array_response, json_response, read_json, read_model, validate
from nfvo.sol.listing import ListQuery, list_response
from nfvo.sol.negotiation import (
    check_accept,
    check_if_match,
    choose_media_type,
    etag_of,
    parse_range,
)
from nfvo.sol.paging import paging_of
from nfvo.sol.problems import NotAcceptable, NotFound, ServiceUnavailable
from nfvo.sol.routes import Handler, app_value
from nfvo.sol.selectors import SelectorPolicy
from nfvo.sol.wire import WireModel
from nfvo.store.blobs import BlobStore

CATALOGUE = web.AppKey("CATALOGUE", Catalogue)
ZIP = "application/zip"
TEXT = "text/plain"
OCTETS = "application/octet-stream"
CHUNK = 1 << 16


def catalogue(request: web.Request) -> Catalogue:
    found = app_value(request, CATALOGUE)
    if found is None:
        raise ServiceUnavailable("the catalogue is not configured in this server")
    return found


@dataclass(frozen=True)
class KindApi:
    """How one kind appears on the wire: its id parameter, bodies and selector policy."""

    kind: Kind
    id_parameter: str
    create_model: type[WireModel]
    modifications_model: type[WireModel]
    policy: SelectorPolicy

    def record_id(self, request: web.Request) -> str:
        return request.match_info[self.id_parameter]


async def _record(api: KindApi, request: web.Request) -> CatalogRecord:
    """The onboarded entry, by its id or (SOL003 face) by its ``vnfdId``."""
    viewer = principal_of(request)
    if "vnfdId" in request.match_info:
        return await catalogue(request).by_vnfd_id(request.match_info["vnfdId"], viewer=viewer)
    return await catalogue(request).onboarded(api.kind, api.record_id(request), viewer=viewer)


def list_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        query = ListQuery.from_request(request, api.policy)
        plan = query.plan(filter_indexes(api.kind))
        service, viewer = catalogue(request), principal_of(request)
        if not plan.residual.expressions:  # the index may answer alone: read only the page
            paging = paging_of(request)
            after = paging.start_after(request)
            found = await service.page(
                api.kind,
                plan.index,
                viewer=viewer,
                after=after,
                limit=paging.page_size,
                selection=query.selection,
            )
            if found is not None:
                last = found.next_after
                headers = {"Link": paging.next_link(request, last)} if last is not None else {}
                return json_array_response(found.bodies, headers=headers)
        listed = await service.query(api.kind, plan.index, viewer=viewer)
        keys = {record.id: key for key, record in listed}
        documents = [wire_document(record) for _, record in listed]
        return list_response(
            request, query, documents, lambda d: keys[d["id"]], residual=plan.residual
        )

    return handler


def create_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        body = await read_model(request, api.create_model)
        record = await catalogue(request).create(
            api.kind,
            getattr(body, "user_defined_data", None),
            viewer=principal_of(request),
        )
        document = wire_document(record)
        location = document["_links"]["self"]["href"]
        return json_response(document, status=201, headers={"Location": location})

    return handler


def show_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        if "vnfdId" in request.match_info:
            record = await _record(api, request)
        else:
            record, _ = await catalogue(request).show(
                api.kind, api.record_id(request), viewer=principal_of(request)
            )
        document = wire_document(record)
        return json_response(document, headers={"ETag": etag_of(document)})

    return handler


def modify_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        service, viewer = catalogue(request), principal_of(request)
        record, version = await service.show(
            api.kind, api.record_id(request), viewer=viewer, reading=False
        )
        check_if_match(request, etag_of(wire_document(record)))
        changes = validate(api.modifications_model, await read_json(request))
        fields = {
            # NsdInfoModifications names it nsdOperationalState (clause 5.5.2.4)
            ("operational_state" if name.endswith("operational_state") else name): value
            for name, value in changes
            if name in changes.model_fields_set
        }
        updated = await service.modify(api.kind, record.id, version, fields, viewer=viewer)
        etag = etag_of(wire_document(updated))
        return json_response(changes.to_wire(), headers={"ETag": etag})

    return handler


def delete_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        await catalogue(request).delete(
            api.kind, api.record_id(request), viewer=principal_of(request)
        )
        return web.Response(status=204)

    return handler


def upload_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        await catalogue(request).upload(
            api.kind,
            api.record_id(request),
            request.content.iter_chunked(CHUNK),
            request.content_type,
            viewer=principal_of(request),
        )
        return web.Response(status=202)

    return handler


async def send_blob(
    request: web.Request, blobs: BlobStore, key: str, size: int, content_type: str
) -> web.StreamResponse:
    """The blob, or the one byte range ``Range`` asks for (206, RFC 9110 clause 14)."""
    byte_range = parse_range(request.headers.get("Range"), size)
    response = web.StreamResponse(status=206 if byte_range else 200)
    response.content_type = content_type
    response.headers["Accept-Ranges"] = "bytes"
    start, end = (byte_range.first, byte_range.last + 1) if byte_range else (0, size)
    if byte_range:
        response.headers["Content-Range"] = byte_range.content_range()
    response.content_length = end - start
    chunks: AsyncIterator[bytes] = blobs.get(key, start, end)
    await response.prepare(request)
    async for chunk in chunks:
        await response.write(chunk)
    await response.write_eof()
    return response


def content_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        record = await _record(api, request)
        assert record.content_key is not None and record.content_size is not None
        media = record.content_type if record.content_type == TEXT else ZIP
        check_accept(request, (media,))  # the content as onboarded, in no other type
        blobs = catalogue(request).store.blobs
        return await send_blob(request, blobs, record.content_key, record.content_size, media)

    return handler


def descriptor_handler(api: KindApi) -> Handler:
    """``vnfd``, ``nsd``, ``pnfd``: YAML when one file holds it, else a zip (9.4.4.3.2)."""

    async def handler(request: web.Request) -> web.Response:
        record = await _record(api, request)
        chosen = check_accept(request, (TEXT, ZIP))
        blobs = catalogue(request).store.blobs
        single = is_single_descriptor(record.files)
        # Accepting both: YAML when one file holds the descriptor, else the zip.
        if (
            chosen == TEXT
            and not single
            and choose_media_type(request.headers.get("Accept"), (ZIP,))
        ):
            chosen = ZIP
        if chosen == TEXT:
            entry = descriptor_entry(record.files)
            if entry is None or not single:
                raise NotAcceptable(
                    f"the descriptor of {noun(api.kind)} {record.id} spans several files; "
                    "accept application/zip"
                )
            return web.Response(body=await blobs.read(entry.blob_key), content_type=TEXT)
        files = record.files_with("descriptor", "meta")
        return web.Response(body=await zip_of(blobs, files), content_type=ZIP)

    return handler


def manifest_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        record = await _record(api, request)
        chosen = check_accept(request, (TEXT, ZIP))
        manifests = record.files_with("manifest")
        if not manifests:
            raise NotFound(f"{noun(api.kind)} {record.id} has no manifest")
        blobs = catalogue(request).store.blobs
        if chosen == TEXT:
            return web.Response(body=await blobs.read(manifests[0].blob_key), content_type=TEXT)
        files = [*manifests, *record.files_with("certificate")]
        return web.Response(body=await zip_of(blobs, files), content_type=ZIP)

    return handler


def artifacts_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        record = await _record(api, request)
        files = record.files_with("artifact")
        blobs = catalogue(request).store.blobs
        return web.Response(body=await zip_of(blobs, files), content_type=ZIP)

    return handler


def artifact_handler(api: KindApi) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        record = await _record(api, request)
        path = request.match_info["artifactPath"]
        found: StoredFile | None = record.file(path.lstrip("/"))
        if found is None or found.role not in ("artifact", "image"):
            raise NotFound(f"{noun(api.kind)} {record.id} has no artifact {path!r}")
        blobs = catalogue(request).store.blobs
        return await send_blob(request, blobs, found.blob_key, found.size, OCTETS)

    return handler
