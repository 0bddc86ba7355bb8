"""The service-agnostic AWS rest-json wire layer, driven by botocore-format service models.

A request's way through (see ``gateway.AwsGateway``): ``auth`` (SigV4 scope -> account, region,
service) -> ``router`` (method + path -> operation) -> ``parser`` (HTTP pieces -> typed input
dict) -> ``validate`` (model constraints) -> provider method -> ``serializer`` (output or
``errors.ServiceError`` -> status, headers, JSON). ``specs`` loads the models.
"""
