"""The YAML pre-pass: plain data only, bounded, no duplicate keys, every line named."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descriptors.archive import DEFAULT_LIMITS, Limits
from descriptors.yaml_guard import check_yaml, check_yaml_file, decode_text

BILLION_LAUGHS = "\n".join(
    [
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        *(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]"
            for i in range(8)
        ),
    ]
)


def codes_and_lines(text: str, limits: Limits = DEFAULT_LIMITS) -> list[tuple[str, int | None]]:
    documents, problems = check_yaml(text, "t.yaml", limits)
    assert all(p.file == "t.yaml" for p in problems)
    if problems:
        assert documents == []
    return [(p.code, p.line) for p in problems]


def test_plain_yaml_loads_with_anchors_and_merge_keys() -> None:
    text = "base: &b {x: 1}\nuse: *b\nmerged:\n  <<: *b\n  x: 2\n---\nsecond: true\n"
    documents, problems = check_yaml(text, "t.yaml", DEFAULT_LIMITS)
    assert problems == []
    assert documents == [
        {"base": {"x": 1}, "use": {"x": 1}, "merged": {"x": 2}},
        {"second": True},
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 2\na: 3\n", [("duplicate-key", 3)]),
        ("top:\n  k: 1\n  'k': 2\n", [("duplicate-key", 3)]),
        ("a: !!python/object/apply:os.system [ls]\n", [("yaml-tag", 1)]),
        ("x: 1\na: !!python/name:os.system\n", [("yaml-tag", 2)]),
        ("a: !Ref other\n", [("yaml-tag", 1)]),
        ("a: !!binary aGVsbG8=\n", [("yaml-tag", 1)]),
        ("a: &a [1, *a]\n", [("recursive-alias", 1)]),
        ("a: *nothing\n", [("yaml-syntax", 1)]),
        ("a: [1\nb: 2\n", [("yaml-syntax", 2)]),
        ("? [1, 2]\n: x\n", [("yaml-key", 1)]),
        ("a: 2020-13-45\n", [("yaml-value", None)]),
        ("a: \x07\n", [("yaml-syntax", 1)]),
    ],
)
def test_refusals_name_the_line(text: str, expected: list[tuple[str, int | None]]) -> None:
    assert codes_and_lines(text) == expected


def test_alias_bomb_is_refused_by_expansion_size() -> None:
    assert codes_and_lines(BILLION_LAUGHS) == [("alias-bomb", 7)]


def test_alias_count_is_bounded() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 50) + "]\n"
    assert codes_and_lines(text, Limits(yaml_max_aliases=10)) == [("alias-bomb", 2)]
    assert codes_and_lines(text) == []


def test_nesting_depth_is_bounded() -> None:
    assert codes_and_lines("[" * 200 + "]" * 200) == [("yaml-too-deep", 1)]
    assert codes_and_lines("[" * 20 + "]" * 20) == []


def test_not_utf8_names_the_line() -> None:
    text, problems = decode_text(b"a: 1\nb: caf\xe9\n", "t.yaml")
    assert text is None
    assert [(p.code, p.line) for p in problems] == [("not-utf8", 2)]


def test_utf8_bom_is_accepted() -> None:
    text, problems = decode_text("\ufeffa: 1\n".encode(), "t.yaml")
    assert (text, problems) == ("a: 1\n", [])


def test_text_size_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" * 100)
    _, problems = check_yaml_file(path, "big.yaml", Limits(max_text_bytes=50))
    assert [p.code for p in problems] == ["file-too-large"]


YAMLISH = st.text(alphabet="ab1 :-[]{}&*!?|>'\"#,.%@`\n\t<=~\\", max_size=200)


@settings(max_examples=300, deadline=None)
@given(YAMLISH)
def test_any_text_gives_documents_or_problems_never_an_exception(text: str) -> None:
    documents, problems = check_yaml(text, "t.yaml", DEFAULT_LIMITS)
    assert not (documents and problems)
    assert all(p.file == "t.yaml" for p in problems)


@pytest.mark.deep
@settings(max_examples=20_000, deadline=None)
@given(st.one_of(YAMLISH, st.text(max_size=300)))
def test_any_text_never_raises_deep(text: str) -> None:
    check_yaml(text, "t.yaml", DEFAULT_LIMITS)
