"""S3's REST API as one :class:`~jobforge.services.binding.ServicePackage`: no JSON-gateway
provider, a front door (:class:`~jobforge.protocol.s3_gateway.S3Gateway`, claiming what
:func:`~jobforge.protocol.s3_gateway.is_s3_request` says is S3's) and the bucket owners it records
as the store policy's ``recorded_owner``."""

from __future__ import annotations

from jobforge.engine import JobEngine
from jobforge.protocol.auth import Authenticator
from jobforge.protocol.gateway import AwsGateway, Scope
from jobforge.protocol.s3_gateway import S3Gateway, is_s3_request
from jobforge.protocol.specs import load_service_model
from jobforge.services.binding import FrontDoor, ServiceBinding, ServicePackage
from jobforge.services.s3.errors import ERRORS
from jobforge.services.s3.multipart import MultipartS3Provider
from jobforge.services.s3.owners import BucketOwners
from jobforge.services.s3.settings import S3Settings
from jobforge.storage import ObjectStore


def build(engine: JobEngine, store: ObjectStore, settings: S3Settings) -> ServiceBinding:
    owners = BucketOwners(engine)
    provider = MultipartS3Provider(store, owners)

    def open_front_door(authenticator: Authenticator, json_gateway: AwsGateway) -> FrontDoor:
        gateway = S3Gateway(
            load_service_model("s3"), provider, authenticator, json_gateway, disabled=settings.disabled
        )

        def claims(scope: Scope) -> bool:
            return is_s3_request(scope, json_gateway, store.bucket_exists)

        return FrontDoor(claims, gateway, gateway.close)

    return ServiceBinding(front_door=open_front_door, bucket_owner=owners.owner)


PACKAGE = ServicePackage("s3", ERRORS, S3Settings.from_settings, build)
