"""The metrics part of deploy/docker-compose.yml (``--profile metrics``): Prometheus scrapes
``/metrics`` of every API node with the token the nodes are given, and Grafana is provisioned with
Prometheus and the dashboard of deploy/grafana/jobforge.json."""

from __future__ import annotations

import json

import yaml

from jobforge.config import Settings
from tests.tooling.deploy_files import COMPOSE, command, compose, jobforge_services

DEPLOY = COMPOSE.parent


def _container_path(volumes: list[str], source: str) -> str:
    """Where a service mounts ``source`` (a path relative to deploy/)."""
    (target,) = [volume.split(":")[1] for volume in volumes if volume.split(":")[0] == source]
    return target


def test_prometheus_scrapes_every_api_node_with_the_nodes_token() -> None:
    services = compose({"METRICS_TOKEN": "t0ken"})["services"]
    prometheus = services["prometheus"]
    assert prometheus["profiles"] == ["metrics"]
    config_path = _container_path(prometheus["volumes"], "./prometheus.yml")
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    nodes = set()
    for name, service in jobforge_services(compose()).items():
        argv = command(service)
        if argv[0] == "serve":
            port = argv[argv.index("--port") + 1] if "--port" in argv else str(Settings().port)
            nodes.add(f"{name}:{port}")
            assert services[name]["environment"]["JOBFORGE_METRICS_TOKEN"] == "t0ken"
    (targets,) = [static["targets"] for static in job["static_configs"]]
    assert set(targets) == nodes and len(nodes) == 2
    # the token reaches the file Prometheus reads it from
    assert job["authorization"]["type"] == "Bearer"
    script = "\n".join(command(prometheus))
    assert prometheus["environment"]["METRICS_TOKEN"] == "t0ken"
    assert f'"$METRICS_TOKEN" > {job["authorization"]["credentials_file"]}' in script
    assert f"--config.file={config_path}" in script


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard() -> None:
    services = compose()["services"]
    grafana = services["grafana"]
    assert grafana["profiles"] == ["metrics"] and "prometheus" in grafana["depends_on"]
    provisioning = _container_path(grafana["volumes"], "./grafana/provisioning")
    assert provisioning == "/etc/grafana/provisioning"
    dashboard_file = _container_path(grafana["volumes"], "./grafana/jobforge.json")
    datasources = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "http://prometheus:9090"
    prometheus_port = services["prometheus"]["ports"][0].rsplit(":", 1)[1]
    assert source["url"].endswith(f":{prometheus_port}")
    providers = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/jobforge.yml").read_text())
    (provider,) = providers["providers"]
    assert dashboard_file.rsplit("/", 1)[0] == provider["options"]["path"]
    assert json.loads((DEPLOY / "grafana/jobforge.json").read_text())["uid"] == "jobforge"
