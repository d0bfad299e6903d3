"""A tiny generated data set shared by the generator tests (scale 0.05, about 500 people)."""

from __future__ import annotations

import pytest

from datalabs_pipelines.generator import GenerationSummary, generate

TINY_SCALE = 0.05
TINY_SEED = 11


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    return generate(TINY_SCALE, TINY_SEED, tmp_path_factory.mktemp("tiny"), progress=False)
