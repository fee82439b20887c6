from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nemo_runspec_nb.artifacts import ArtifactRef, parse_art_url, parse_ref
from nemo_runspec_nb.artifacts._refs import validate_alias, validate_name
from nemo_runspec_nb.errors import ArtifactError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tiny-data", ArtifactRef("tiny-data")),
        ("tiny-data:latest", ArtifactRef("tiny-data")),
        ("tiny-data:v3", ArtifactRef("tiny-data", "version", version=3)),
        ("tiny-data:3", ArtifactRef("tiny-data", "version", version=3)),
        ("tiny-data:best", ArtifactRef("tiny-data", "alias", alias="best")),
        ("model_1.2:rc-1", ArtifactRef("model_1.2", "alias", alias="rc-1")),
    ],
)
def test_accepted_forms(text: str, expected: ArtifactRef) -> None:
    assert parse_ref(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "the NAME is empty"),
        (":v1", "the NAME is empty"),
        ("tiny-data:", "nothing after ':'"),
        ("tiny data", "'tiny data' is not a valid NAME"),
        ("../etc", "'../etc' is not a valid NAME"),
        ("a/b", "'a/b' is not a valid NAME"),
        ("tiny-data:v1:x", "'v1:x' is neither"),
        ("tiny-data:-x", "'-x' is neither"),
    ],
)
def test_malformed_refs_state_the_accepted_forms(text: str, why: str) -> None:
    with pytest.raises(ArtifactError) as info:
        parse_ref(text)
    message = str(info.value)
    assert why in message
    assert "Accepted forms: NAME, NAME:latest, NAME:vN, NAME:N or NAME:ALIAS" in message
    assert info.value.key == text


def test_non_string_ref_is_malformed() -> None:
    with pytest.raises(ArtifactError, match="expected a string, got int"):
        parse_ref(3)  # type: ignore[arg-type]


def test_str_of_a_ref_is_its_canonical_form() -> None:
    assert str(parse_ref("x:3")) == "x:v3"
    assert str(parse_ref("x:latest")) == "x"
    assert str(parse_ref("x:best")) == "x:best"
    assert str(ArtifactRef.pinned("x", 7)) == "x:v7"


@given(
    name=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
    selector=st.one_of(
        st.none(),
        st.integers(min_value=1, max_value=10**6).map(lambda n: f"v{n}"),
        st.from_regex(r"[A-Za-uw-z][A-Za-z0-9._-]{0,10}", fullmatch=True),
    ),
)
def test_parse_of_str_round_trips(name: str, selector: str | None) -> None:
    text = name if selector is None else f"{name}:{selector}"
    ref = parse_ref(text)
    assert parse_ref(str(ref)) == ref
    assert ref.name == name


@pytest.mark.parametrize(
    ("url", "ref", "sub"),
    [
        ("art://tiny-data:v1/x.npz", "tiny-data:v1", "x.npz"),
        ("art://tiny-data/shards/x.npz", "tiny-data", "shards/x.npz"),
        ("art://tiny-data", "tiny-data", ""),
        ("art://tiny-data:best/./a//b/", "tiny-data:best", "a/b"),
        ("tiny-data:2/a", "tiny-data:v2", "a"),
    ],
)
def test_parse_art_url(url: str, ref: str, sub: str) -> None:
    parsed, rel = parse_art_url(url)
    assert str(parsed) == ref
    assert rel == sub


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("art://tiny-data/../other/x", "leaves the artifact's directory"),
        ("art://tiny-data/a/../../x", "leaves the artifact's directory"),
        ("art://tiny-data//etc/passwd", "is absolute inside the artifact"),
    ],
)
def test_art_url_traversal_is_refused(url: str, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        parse_art_url(url)


@pytest.mark.parametrize("alias", ["latest", "v2", "v0"])
def test_reserved_aliases(alias: str) -> None:
    with pytest.raises(ArtifactError, match="reserved"):
        validate_alias(alias)


@pytest.mark.parametrize("alias", ["", "-x", "a b", "12", "x" * 65])
def test_invalid_aliases(alias: str) -> None:
    with pytest.raises(ArtifactError, match="Invalid alias"):
        validate_alias(alias)


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "..", "x" * 129])
def test_invalid_names(name: str) -> None:
    with pytest.raises(ArtifactError, match="Invalid artifact name"):
        validate_name(name)
