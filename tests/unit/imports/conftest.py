from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.imports._support import LibreOffice, find_soffice


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> LibreOffice:
    binary = find_soffice()
    if binary is None:
        pytest.skip("LibreOffice (soffice) is not installed: the .xls written by another program cannot be made")
    workdir: Path = tmp_path_factory.mktemp("libreoffice")
    return LibreOffice(binary, workdir)
