"""${art:NAME,FIELD}, ${auto_mount:...}, ${run.*}: a session holds the state, not the module."""

from __future__ import annotations

import threading

import pytest
from omegaconf import OmegaConf
from omegaconf.errors import InterpolationResolutionError

from nemo_runspec_nb.config import (
    AUTO_MOUNT_MARKER,
    GitMount,
    ResolverSession,
    is_artifact_reference,
    register_resolvers,
    resolve_run_interpolations,
)
from nemo_runspec_nb.config._resolvers import active_session
from nemo_runspec_nb.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    ArtifactVersionNotFoundError,
    ConfigError,
)


def job(**top):
    return OmegaConf.create(
        {"run": {"data": "tiny-data:latest", "model": "tiny-model:v1", "mode": "local"}, **top}
    )


# --------------------------------------------------------------------------- ${art:}


def test_name_refers_to_a_run_entry(registry):
    cfg = job(path="${art:data,path}", version="${art:data,version}", kind="${art:model,type}")
    out = ResolverSession(registry).resolve(cfg)
    assert (out.path, out.version, out.kind) == ("/store/tiny-data/v2", 2, "model")


def test_field_defaults_to_path(registry):
    assert ResolverSession(registry).resolve(job(p="${art:data}")).p == "/store/tiny-data/v2"


def test_name_can_be_an_artifact_ref_itself(registry):
    cfg = OmegaConf.create({"p": "${art:tiny-data:v1,path}", "n": "${art:tiny-model,name}"})
    out = ResolverSession(registry).resolve(cfg)
    assert (out.p, out.n) == ("/store/tiny-data/v1", "tiny-model")


def test_metadata_fields_keep_their_type(registry):
    cfg = job(pack="${art:data,pack_size}", it="${art:model,metadata.iteration}", s="x${art:data,rows}")
    out = ResolverSession(registry).resolve(cfg)
    assert (out.pack, out.it, out.s) == (4096, 500, "x20")


def test_the_session_caches_each_ref_once(registry):
    session = ResolverSession(registry)
    session.resolve(job(a="${art:data,path}", b="${art:data,version}", c="${art:data,rows}"))
    session.resolve(job(d="${art:data,path}"))
    assert registry.calls == ["tiny-data:latest"]
    assert set(session.artifacts) == {"tiny-data:latest"}


def test_two_sessions_do_not_share_state(registry):
    first, second = ResolverSession(registry), ResolverSession(registry)
    first.resolve(job(a="${art:data,path}"))
    assert second.artifacts == {}
    second.resolve(job(a="${art:data,path}"))
    assert registry.calls == ["tiny-data:latest", "tiny-data:latest"]


def test_unknown_name_suggests_run_entries(registry):
    with pytest.raises(ArtifactNotFoundError) as info:
        ResolverSession(registry).resolve(job(p="${art:dta,path}"))
    message = str(info.value)
    assert "${art:dta,...}" in message
    assert "Did you mean 'data' (a run.* entry)?" in message
    assert "run.* artifact entries: data, model" in message
    assert "(at config key 'p')" in message
    assert info.value.key == "art:dta"


def test_unknown_version_keeps_the_registry_error_class(registry):
    with pytest.raises(ArtifactVersionNotFoundError, match="has no version v9"):
        ResolverSession(registry).resolve(OmegaConf.create({"p": "${art:tiny-data:v9}"}))


def test_unknown_field_lists_fields_and_suggests(registry):
    with pytest.raises(ArtifactError) as info:
        ResolverSession(registry).resolve(job(p="${art:data,pack_sise}"))
    message = str(info.value)
    assert "has no field 'pack_sise'" in message
    assert "Did you mean 'pack_size'?" in message
    assert "Available fields: path, version, name, type, pack_size, rows" in message
    assert info.value.key == "art:data,pack_sise"


def test_a_registry_raising_key_error_is_translated():
    class Dict:
        def get(self, ref):
            raise KeyError(ref)

    with pytest.raises(ArtifactNotFoundError, match="no artifact 'x:latest' in the registry"):
        ResolverSession(Dict()).resolve(OmegaConf.create({"p": "${art:x:latest}"}))


def test_without_a_registry_the_error_says_so():
    with pytest.raises(ConfigError, match="needs an artifact registry") as info:
        ResolverSession().resolve(job(p="${art:data}"))
    assert "ResolverSession(registry=...)" in str(info.value)


def test_outside_a_session_art_cannot_resolve(registry):
    register_resolvers()
    cfg = job(p="${art:data}")
    with pytest.raises(InterpolationResolutionError, match="can only be resolved inside a ResolverSession"):
        OmegaConf.to_container(cfg, resolve=True)


def test_activate_binds_the_session_for_direct_omegaconf_use(registry):
    session = ResolverSession(registry)
    assert active_session() is None
    with session.activate():
        assert active_session() is session
        assert job(p="${art:data}").p == "/store/tiny-data/v2"
    assert active_session() is None


def test_sessions_are_per_thread(registry):
    seen = []
    with ResolverSession(registry).activate():
        worker = threading.Thread(target=lambda: seen.append(active_session()))
        worker.start()
        worker.join()
    assert seen == [None]


def test_registering_twice_is_harmless(registry):
    register_resolvers()
    register_resolvers()
    assert ResolverSession(registry).resolve(job(p="${art:data}")).p == "/store/tiny-data/v2"


def test_other_interpolations_resolve_and_their_errors_name_the_key(registry, monkeypatch):
    monkeypatch.setenv("DEMO_HOME", "/home/demo")
    out = ResolverSession(registry).resolve(job(h="${oc.env:DEMO_HOME}", m="${run.mode}"))
    assert (out.h, out.m) == ("/home/demo", "local")
    with pytest.raises(ConfigError) as info:
        ResolverSession(registry).resolve(job(bad="${run.nope}"))
    assert info.value.key == "bad"
    assert "cannot resolve 'bad'" in str(info.value)


def test_resolve_accepts_a_plain_mapping(registry):
    assert ResolverSession(registry).resolve({"x": "${art:tiny-model:v1,version}"}).x == 1


# --------------------------------------------------------------------------- ${auto_mount:}


def test_auto_mount_records_the_checkout_and_returns_a_marker():
    session = ResolverSession()
    cfg = OmegaConf.create(
        {
            "mounts": [
                "${auto_mount:git+https://github.com/NVIDIA/Megatron-Bridge.git@main,/opt/Megatron-Bridge}",
                "${auto_mount:git+git@github.com:org/tool.git@v1.2}",
                "/data:/data",
            ]
        }
    )
    out = session.resolve(cfg)
    assert list(out.mounts) == [
        f"{AUTO_MOUNT_MARKER}Megatron-Bridge",
        f"{AUTO_MOUNT_MARKER}tool",
        "/data:/data",
    ]
    assert session.git_mounts == {
        "Megatron-Bridge": GitMount(
            "Megatron-Bridge", "https://github.com/NVIDIA/Megatron-Bridge.git", "main", "/opt/Megatron-Bridge"
        ),
        "tool": GitMount("tool", "git@github.com:org/tool.git", "v1.2", ""),
    }
    session.clear()
    assert session.git_mounts == {}


@pytest.mark.parametrize(
    "spec", ["https://github.com/org/repo.git@main", "git+https://github.com/org/repo.git", "git+@main"]
)
def test_bad_auto_mount_specs(spec):
    with pytest.raises(ConfigError) as info:
        ResolverSession().resolve(OmegaConf.create({"m": f"${{auto_mount:{spec}}}"}))
    assert info.value.key == "auto_mount"
    assert "git+https://github.com/org/repo.git@main" in str(info.value)  # the example in the hint
    assert "(at config key 'm')" in str(info.value)


# --------------------------------------------------------------------------- ${run.*} and refs


def test_run_interpolations_are_substituted_from_the_run_section():
    run = {"recipe": {"name": "demo"}, "env": {"nodes": 2, "list": [1, 2]}, "none": None}
    tree = {
        "a": "${run.recipe.name}",
        "b": ["${run.env.nodes}", "n=${run.env.nodes}"],
        "c": "${run.env.list.1}",
        "d": "${run.missing}",
        "e": "${art:data,path}",
        "f": "x${run.none}y",
    }
    assert resolve_run_interpolations(tree, run) == {
        "a": "demo",
        "b": [2, "n=2"],
        "c": 2,
        "d": "${run.missing}",
        "e": "${art:data,path}",
        "f": "xy",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("tiny-data:latest", True),
        ("tiny-data:v3", True),
        ("tiny-data:3", True),
        ("tiny-data:best", True),
        ("DataBlendsArtifact-pretrain", True),
        ("nvcr.io/nvidia/nemo:25.11", False),
        ("/abs/path:v1", False),
        ("local", False),
        ("${art:data}", False),
        (3, False),
        (None, False),
    ],
)
def test_is_artifact_reference(value, expected):
    assert is_artifact_reference(value) is expected


def test_a_run_entry_may_itself_be_an_interpolation(registry, monkeypatch):
    monkeypatch.setenv("DATA_REF", "tiny-data:v1")
    cfg = OmegaConf.create({"run": {"data": "${oc.env:DATA_REF}"}, "p": "${art:data,path}"})
    assert ResolverSession(registry).resolve(cfg).p == "/store/tiny-data/v1"
