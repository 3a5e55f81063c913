"""Gateway settings (env prefix GATEWAY_), built once in `python -m gateway`."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.chassis.service_auth import ServiceTokenSigner
from services.chassis.settings import DEV_SECRET_PREFIX, Mode

SERVICES = (
    "records",
    "review",
    "disclosure",
    "gas",
    "overload",
    "documents",
    "hazard_sources",
    "hazards",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    mode: Mode = Mode.development
    database_url: str = "sqlite:///var/gateway.db"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    jwt_secret: SecretStr = SecretStr(DEV_SECRET_PREFIX + "jwt-secret-change-me-0123456789abcdef")
    jwt_issuer: str = "enforcement-gateway"
    jwt_audience: str = "enforcement-apps"
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 14 * 24 * 3600
    device_signature_window_s: int = 300
    records_addr: str = "127.0.0.1:50051"
    review_addr: str = "127.0.0.1:50052"
    disclosure_addr: str = "127.0.0.1:50053"
    gas_addr: str = "127.0.0.1:50054"
    overload_addr: str = "127.0.0.1:50055"
    documents_addr: str = "127.0.0.1:50056"
    hazard_sources_addr: str = "127.0.0.1:50057"
    hazards_addr: str = "127.0.0.1:50058"
    grpc_timeout_s: float = Field(default=5.0, description="deadline of every gRPC call")
    evidence_confirm_timeout_s: float = Field(
        default=120.0,
        description="deadline of an evidence confirmation, which reads the whole file back",
    )
    idempotency_in_flight_timeout_s: int = Field(
        default=150,
        description=(
            "a key whose request is still in progress after this long is taken as abandoned "
            "(its gateway died) and may be retried; above the longest call, the evidence check"
        ),
    )
    http_keep_alive_s: float = Field(
        default=75.0,
        description="an idle keep-alive connection is closed after this long; above the idle "
        "time of the clients and of the proxy in front (docs/deploy.md), so the gateway never "
        "closes a connection just as a client reuses it",
    )
    log_level: str = "INFO"
    log_json: bool = True
    max_body_bytes: int = Field(
        default=1024 * 1024,
        description="a larger request body, declared or chunked, is answered 413 unread",
    )
    login_failures_per_15_min: int = Field(
        default=10,
        description="per client address, and per device cookie of a device that logged in "
        "before, then 429 until it ages",
    )
    login_failures_per_username_15_min: int = Field(
        default=50,
        description="per username, from devices that never logged in to it (no device "
        "cookie); above what one address may try, so no single stranger reaches it",
    )
    account_check_cache_s: float = Field(
        default=2.0,
        ge=0,
        le=10,
        description="how long a replica trusts its copy of an account's state (active, token "
        "version); a deactivated or changed account's tokens stop within this",
    )
    public_requests_per_min: int = Field(
        default=300, description="per client address on the public disclosure routes"
    )
    web_dir: str = Field(
        default="web",
        description="the web workspace; its built apps (officer/dist, console/dist) are served",
    )
    app_connect_src: str = Field(
        default="",
        description="origins the web apps may load from and send to besides the gateway, space "
        "separated: the object storage of presigned uploads, e.g. https://s3.example.gov.cn",
    )
    public_base_url: str | None = Field(
        default=None,
        description="the gateway's public address, e.g. https://zfgs.example.gov.cn; links in "
        "feeds are made from it, never from the Host header (required in production; "
        "development uses http://HTTP_HOST:HTTP_PORT)",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token Prometheus sends for /metrics; in production /metrics is "
        "off (404) without it, in development open unless it is set",
    )
    api_docs: bool = Field(
        default=True, description="serve /docs, /redoc and /openapi.json (off: 404)"
    )
    service_token_key: SecretStr | None = Field(
        default=None,
        description="base64 Ed25519 private key that signs the gateway's service tokens on "
        "every gRPC call (the services hold its public key); required in production",
    )
    live_streams_per_user: int = Field(
        default=3, description="open live streams (SSE) per user, then 429 until one closes"
    )
    agency_names: dict[str, str] = Field(
        default_factory=dict,
        description="agency id -> its name as the apps show it (JSON), e.g. "
        '{"xinbei-yjj": "常州市新北区应急管理局"}; an agency missing here shows its id',
    )
    exports_per_10_min: int = Field(
        default=20, description="public CSV/JSON exports per client address, then 429"
    )
    # MQTT (devices over MQTT; docs/hazard-sources.md)
    mqtt_broker_token: SecretStr = Field(
        default=SecretStr(""),
        description="the MQTT broker's token on its CONNECT checks (/internal/mqtt/auth); "
        "empty: the check answers 404",
    )
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_tls_ca: str | None = Field(
        default=None, description="CA file to check the broker's TLS certificate; unset: plain"
    )
    mqtt_bridge_username: str = "bridge"
    mqtt_bridge_password: SecretStr = SecretStr("")
    mqtt_bridge_members: int = Field(
        default=1, ge=1, description="bridge processes sharing the devices (a consumer group)"
    )
    mqtt_bridge_member: int = Field(default=0, ge=0, description="this bridge's index, 0-based")
    mqtt_shared_subscription: str = Field(
        default="",
        description="a shared-subscription group (MQTT 5 $share, Mosquitto/EMQX): the broker "
        "balances the devices' messages over the bridges; empty: members split by device id",
    )

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> Settings:
        if self.mode is Mode.production:
            secret = self.jwt_secret.get_secret_value()
            if secret.startswith(DEV_SECRET_PREFIX) or len(secret.encode()) < 32:
                raise ValueError("GATEWAY_JWT_SECRET must be a real secret of 32+ bytes")
            if self.service_token_key is None:
                raise ValueError("GATEWAY_SERVICE_TOKEN_KEY must be set in production mode")
            if not self.public_base_url:
                raise ValueError("GATEWAY_PUBLIC_BASE_URL must be set in production mode")
            if self.metrics_token is not None and len(self.metrics_token.get_secret_value()) < 32:
                raise ValueError("GATEWAY_METRICS_TOKEN must be 32+ characters")
        if self.public_base_url and not self.public_base_url.startswith(("https://", "http://")):
            raise ValueError("GATEWAY_PUBLIC_BASE_URL must be an http(s) URL")
        if self.service_token_key is not None:
            ServiceTokenSigner(self.service_token_key.get_secret_value())  # malformed: fail now
        return self

    def public_base(self) -> str:
        """Where readers reach the gateway, without a trailing slash."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        return f"http://{self.http_host}:{self.http_port}"

    def service_token_signer(self) -> ServiceTokenSigner | None:
        if self.service_token_key is None:
            return None
        return ServiceTokenSigner(self.service_token_key.get_secret_value())

    def service_addrs(self) -> dict[str, str]:
        return {name: getattr(self, f"{name}_addr") for name in SERVICES}
