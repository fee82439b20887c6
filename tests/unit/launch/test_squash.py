import re
from dataclasses import dataclass, field

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import container_to_sqsh_name, ensure_squashed_image, get_squash_path
from nemo_runspec_nb.launch._squash import _legacy_sqsh_name, enroot_uri


@dataclass
class Result:
    stdout: str = ""
    stderr: str = ""
    return_code: int = 0


@dataclass
class FakeTunnel:
    """Answers the existence probe from ``files``; records every command."""

    files: set[str] = field(default_factory=set)
    import_code: int = 0
    commands: list[str] = field(default_factory=list)

    def run(self, command: str) -> Result:
        self.commands.append(command)
        if command.startswith("if [ -f"):
            # if [ -f NEW ]; then echo present; elif [ -f OLD ]; then echo legacy; else echo missing; fi
            for path, word in re.findall(r"\[ -f (\S+) \]; then echo (\w+)", command):
                if path.strip("'") in self.files:
                    return Result(f"{word}\n")
            return Result("missing\n")
        if "enroot import" in command:
            if self.import_code:
                return Result("pulling\n", "[ERROR] unauthorized\n", self.import_code)
            return Result("done\n")
        raise AssertionError(command)


@pytest.mark.parametrize(
    ("image", "name"),
    [
        ("nvcr.io/nvidia/nemo:25.11", "nvcr_io_nvidia_nemo_25_11.sqsh"),
        ("nvcr.io/nvidia/nemo:25.11.nemotron_3_nano", "nvcr_io_nvidia_nemo_25_11_nemotron_3_nano.sqsh"),
        ("ubuntu:22.04", "ubuntu_22_04.sqsh"),
        ("docker://nvcr.io#nvidia/pytorch:24.01-py3", "nvcr_io_nvidia_pytorch_24_01_py3.sqsh"),
        ("dockerd://nemo:dev", "nemo_dev.sqsh"),
        ("docker-archive:///tmp/nemo.tar", "_tmp_nemo_tar.sqsh"),
        ("localhost:5000/img@sha256:abc", "localhost_5000_img_sha256_abc.sqsh"),
        ("reg.io/a b/c$d", "reg_io_a_b_c_d.sqsh"),
    ],
)
def test_sqsh_names_follow_the_seed_and_are_filesystem_safe(image, name):
    assert container_to_sqsh_name(image) == name
    assert container_to_sqsh_name(image) == container_to_sqsh_name(image)
    assert re.fullmatch(r"[A-Za-z0-9_]+\.sqsh", name)


@pytest.mark.parametrize(
    ("image", "name"),
    [
        ("nvcr.io/nvidia/nemo:25.11", "nvcr.io+nvidia+nemo+25.11.sqsh"),
        ("nvcr.io/nvidia/nemo:25.11.nemotron_3_nano", "nvcr.io+nvidia+nemo+25.11.nemotron_3_nano.sqsh"),
        ("ubuntu:22.04", "ubuntu+22.04.sqsh"),
        ("docker://nvcr.io#nvidia/pytorch:24.01-py3", "nvcr.io+nvidia+pytorch+24.01-py3.sqsh"),
        ("localhost:5000/img@sha256:abc", "localhost+5000+img+sha256+abc.sqsh"),
        ("reg.io/a b/c$d", "reg.io+a_b+c_d.sqsh"),
    ],
)
def test_the_earlier_plus_names_are_still_computed(image, name):
    assert _legacy_sqsh_name(image) == name
    assert "/" not in name


@pytest.mark.parametrize("bad", ["", "   ", "docker://", None])
def test_empty_images_are_refused(bad):
    with pytest.raises(LaunchError, match="not a container image"):
        container_to_sqsh_name(bad)


def test_squash_path_joins_the_directory():
    assert get_squash_path("ubuntu:22.04", "/lustre/sqsh") == "/lustre/sqsh/ubuntu_22_04.sqsh"
    with pytest.raises(LaunchError, match="squash_dir is empty"):
        get_squash_path("ubuntu:22.04", "")


@pytest.mark.parametrize(
    ("image", "uri"),
    [
        ("nvcr.io/nvidia/nemo:25.11", "docker://nvcr.io#nvidia/nemo:25.11"),
        ("localhost:5000/img", "docker://localhost:5000#img"),
        ("ubuntu:22.04", "docker://ubuntu:22.04"),
        ("library/ubuntu", "docker://library/ubuntu"),
        ("docker://nvcr.io#nvidia/nemo:25.11", "docker://nvcr.io#nvidia/nemo:25.11"),
    ],
)
def test_enroot_uri_marks_the_registry(image, uri):
    assert enroot_uri(image) == uri


@pytest.mark.parametrize(
    "image",
    [
        "dockerd://nemo:dev",
        "podman://localhost/nemo:dev",
        "docker-archive:///tmp/images/nemo.tar",
        "oci-archive:///tmp/images/nemo.oci.tar",
        "docker://nvcr.io#nvidia/nemo:25.11",
        "docker://ubuntu:22.04",
    ],
)
def test_enroot_uri_keeps_the_sources_enroot_understands(image):
    assert enroot_uri(image) == image


def test_enroot_uri_strips_surrounding_blanks_only():
    assert enroot_uri("  dockerd://nemo:dev \n") == "dockerd://nemo:dev"


def test_enroot_uri_refuses_a_scheme_enroot_does_not_know():
    with pytest.raises(LaunchError, match=r"unknown scheme https://") as err:
        enroot_uri("https://example.com/img.tar")
    assert "dockerd://" in str(err.value.hint)


def test_existing_squash_file_is_not_imported_again():
    tunnel = FakeTunnel(files={"/sq/nvcr_io_nvidia_nemo_25_11.sqsh"})
    assert (
        ensure_squashed_image(tunnel, "nvcr.io/nvidia/nemo:25.11", "/sq")
        == "/sq/nvcr_io_nvidia_nemo_25_11.sqsh"
    )
    assert len(tunnel.commands) == 1
    assert not any("enroot" in c for c in tunnel.commands)


def test_a_file_under_the_earlier_plus_name_is_used():
    tunnel = FakeTunnel(files={"/sq/nvcr.io+nvidia+nemo+25.11.sqsh"})
    assert (
        ensure_squashed_image(tunnel, "nvcr.io/nvidia/nemo:25.11", "/sq")
        == "/sq/nvcr.io+nvidia+nemo+25.11.sqsh"
    )
    assert len(tunnel.commands) == 1
    assert not any("enroot" in c for c in tunnel.commands)


def test_the_seed_name_wins_over_the_earlier_name():
    both = {"/sq/nvcr_io_nvidia_nemo_25_11.sqsh", "/sq/nvcr.io+nvidia+nemo+25.11.sqsh"}
    assert (
        ensure_squashed_image(FakeTunnel(files=both), "nvcr.io/nvidia/nemo:25.11", "/sq")
        == "/sq/nvcr_io_nvidia_nemo_25_11.sqsh"
    )


def test_missing_squash_file_is_imported():
    tunnel = FakeTunnel()
    path = ensure_squashed_image(tunnel, "nvcr.io/nvidia/nemo:25.11", "/sq")
    assert path == "/sq/nvcr_io_nvidia_nemo_25_11.sqsh"
    assert tunnel.commands[-1] == (
        "mkdir -p /sq && rm -f /sq/nvcr_io_nvidia_nemo_25_11.sqsh && "
        "enroot import --output /sq/nvcr_io_nvidia_nemo_25_11.sqsh 'docker://nvcr.io#nvidia/nemo:25.11'"
    )


def test_force_reimports_under_the_seed_name_without_probing():
    tunnel = FakeTunnel(files={"/sq/ubuntu_22_04.sqsh", "/sq/ubuntu+22.04.sqsh"})
    assert ensure_squashed_image(tunnel, "ubuntu:22.04", "/sq", force=True) == "/sq/ubuntu_22_04.sqsh"
    assert len(tunnel.commands) == 1
    assert "enroot import --output /sq/ubuntu_22_04.sqsh" in tunnel.commands[0]


def test_a_sqsh_path_is_used_as_it_is():
    tunnel = FakeTunnel()
    assert ensure_squashed_image(tunnel, "/images/my.sqsh", "/sq") == "/images/my.sqsh"
    assert tunnel.commands == []


def test_failed_import_is_a_launch_error_with_the_output_tail():
    tunnel = FakeTunnel(import_code=1)
    with pytest.raises(
        LaunchError, match=r"enroot import of 'private/img:1' failed with exit code 1: .*unauthorized"
    ):
        ensure_squashed_image(tunnel, "private/img:1", "/sq")


def test_tunnel_exceptions_become_launch_errors():
    class Broken:
        def run(self, command: str) -> Result:
            raise OSError("connection refused")

    with pytest.raises(LaunchError, match="checking failed on the cluster: connection refused"):
        ensure_squashed_image(Broken(), "ubuntu:22.04", "/sq")


def test_works_with_a_real_shell_tunnel(tmp_path):
    import subprocess

    class ShellTunnel:
        def run(self, command: str) -> Result:
            out = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=False)
            return Result(out.stdout, out.stderr, out.returncode)

    squash = tmp_path / "sq"
    squash.mkdir()
    (squash / "ubuntu+22.04.sqsh").write_text("")
    assert ensure_squashed_image(ShellTunnel(), "ubuntu:22.04", str(squash)) == f"{squash}/ubuntu+22.04.sqsh"
    (squash / "ubuntu_22_04.sqsh").write_text("")
    assert ensure_squashed_image(ShellTunnel(), "ubuntu:22.04", str(squash)) == f"{squash}/ubuntu_22_04.sqsh"


def test_with_a_build_partition_the_import_runs_in_an_allocation():
    tunnel = FakeTunnel()
    path = ensure_squashed_image(
        tunnel, "nvcr.io/nvidia/nemo:25.11", "/sq", build_partition="cpu_build", build_time="00:20:00"
    )
    assert path == "/sq/nvcr_io_nvidia_nemo_25_11.sqsh"
    assert tunnel.commands[-1] == (
        "mkdir -p /sq && rm -f /sq/nvcr_io_nvidia_nemo_25_11.sqsh && "
        "salloc --partition=cpu_build --time=00:20:00 --nodes=1 --ntasks=1 "
        "srun enroot import --output /sq/nvcr_io_nvidia_nemo_25_11.sqsh 'docker://nvcr.io#nvidia/nemo:25.11'"
    )


def test_a_build_partition_without_a_time_gets_one_hour():
    tunnel = FakeTunnel()
    ensure_squashed_image(tunnel, "dockerd://nemo:dev", "/sq", build_partition="build", force=True)
    assert tunnel.commands == [
        "mkdir -p /sq && rm -f /sq/nemo_dev.sqsh && "
        "salloc --partition=build --time=01:00:00 --nodes=1 --ntasks=1 "
        "srun enroot import --output /sq/nemo_dev.sqsh dockerd://nemo:dev"
    ]


def test_an_existing_file_needs_no_allocation():
    tunnel = FakeTunnel(files={"/sq/ubuntu_22_04.sqsh"})
    ensure_squashed_image(tunnel, "ubuntu:22.04", "/sq", build_partition="build")
    assert not any("salloc" in c for c in tunnel.commands)


def test_build_values_are_quoted_for_the_shell():
    tunnel = FakeTunnel()
    ensure_squashed_image(tunnel, "ubuntu:22.04", "/sq", build_partition="a b;rm", build_time="1:00:00")
    assert "salloc '--partition=a b;rm' --time=1:00:00 " in tunnel.commands[-1]


def test_a_build_time_without_a_partition_is_refused():
    tunnel = FakeTunnel()
    with pytest.raises(LaunchError, match="build_time is set but build_partition is not") as err:
        ensure_squashed_image(tunnel, "ubuntu:22.04", "/sq", build_time="00:10:00")
    assert "build_partition" in str(err.value.hint)
    assert tunnel.commands == []
