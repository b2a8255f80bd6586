"""docker-compose.yml runs PostgreSQL and the API with health checks, the API on PostgreSQL.

There is no Docker engine on the project's machines: `make test` validates the file with
`docker-compose config`, and this test checks what the file must say.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

from domain.backend import Backend

COMPOSE = Path(__file__).parent.parent / "docker-compose.yml"


def test_compose_runs_postgres_and_the_api_with_health_checks() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    assert {"postgres", "api"} <= set(services)
    for name in ("postgres", "api"):
        assert services[name]["healthcheck"]["test"], f"{name} has no health check"
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_points_the_api_at_its_postgres() -> None:
    api = yaml.safe_load(COMPOSE.read_text())["services"]["api"]
    backend = Backend.from_url(api["environment"]["GAKUSEKI_DATABASE_URL"])
    assert (backend.kind, backend.host) == ("postgresql", "postgres")
    assert "gakuseki migrate" in " ".join(api["command"])


def test_compose_file_is_valid_for_docker_compose() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        # .ci/run installs docker-compose and fails without it; a developer laptop may lack it.
        return
    result = subprocess.run([tool, "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_starts_the_projections_without_waiting_for_a_healthy_api() -> None:
    """The API's /health is 503 while the read models stand still behind the log: waiting for it
    before starting the process that moves them would wait forever (ADR 0022)."""
    projections = yaml.safe_load(COMPOSE.read_text())["services"]["projections"]
    assert projections["depends_on"]["api"]["condition"] == "service_started"
