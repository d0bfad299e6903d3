"""The image and the chart agree: the build context keeps what the Dockerfile copies, and the
volume's group (fsGroup) is the image's numeric user's, on the code pod and on each run's pod.
(No Docker or Helm here: these read the files.)"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import yaml

import datalabs_pipelines.deploy as deploy

DEPLOY = Path(deploy.__file__).parent


def instructions(name: str) -> list[list[str]]:
    """The Dockerfile's instructions, each as its words, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.split() for line in text.splitlines()]
    return [words[1:] for words in lines if words and words[0] == name]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether ``path`` (relative to the context) or a folder above it matches a pattern."""
    parts = Path(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(p, pattern) for p in prefixes for pattern in patterns)


def test_the_context_keeps_every_copied_file():
    lines = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    sources = [word for words in instructions("COPY") for word in words[:-1]]
    assert "datalabs_pipelines" in sources and "uv.lock" in sources
    assert [s for s in sources if ignored(s, patterns)] == []
    assert ignored("data/bench/scale-100/raw/x.csv", patterns) and ignored(".venv", patterns)


def test_the_volume_group_is_the_image_users():
    (user,) = instructions("USER")
    uid, gid = (int(n) for n in user[0].split(":"))  # numeric: runAsNonRoot can check it
    assert uid != 0
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    (code,) = values["dagster-user-deployments"]["deployments"]
    assert code["podSecurityContext"]["fsGroup"] == gid
    run_pod = values["runLauncher"]["config"]["k8sRunLauncher"]["runK8sConfig"]["podSpecConfig"]
    assert run_pod["security_context"]["fs_group"] == gid
