"""Generated from proto/cable/v1/publisher.proto by sdk/python/generate.sh: do not edit.

Private to cable_sdk: use cable_sdk.Publisher instead.
"""
