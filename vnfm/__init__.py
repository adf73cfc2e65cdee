"""The generic VNF manager: SOL003 VNF lifecycle management v2 over the shared platform.

It speaks ``/vnflcm/v2`` northbound, asks its NFVO for a grant (``/grant/v1``) before it
touches the cloud, reads VNF packages from the NFVO (``/vnfpkgm/v2``), and creates each
VNF's components on OpenStack through ``nfvo.vim``. It imports only the platform of
``nfvo`` (``sol``, ``store``, ``vim``, ``config``, ``log``, ``platform``) and
``descriptors``; the NFVO reaches it only over HTTP (docs/vnfm.md).
"""
