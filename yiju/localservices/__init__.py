"""Local Mosquitto and InfluxDB as project-owned processes (`yiju services`)."""

from yiju.localservices.process import ServiceError, free_port
from yiju.localservices.stack import LocalStack, ServiceState

__all__ = ["LocalStack", "ServiceError", "ServiceState", "free_port"]
