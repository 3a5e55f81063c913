"""The device side: the signing protocol, a device client for HTTP and MQTT, simulators.

Used by tests, the load test, benchmarks and the gateway's verifier; no service imports it.
"""
