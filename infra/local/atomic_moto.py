"""moto's backend, made to apply each AWS request whole before the next begins, as DynamoDB does.

moto 5.2 is not thread-safe: `transact_write_items` checks every condition and then writes without a lock, a
cancelled transaction restores deep copies of whole tables (wiping out writes that other threads made
meanwhile), and concurrent UpdateItem ADDs get lost. The local stack, the surge replay and the tests that race
threads against the store all serialise requests through the one lock here, so that they exercise crisisline's
claim and counting logic, not moto's missing isolation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_ONE_REQUEST = threading.RLock()


@contextmanager
def dynamodb_in_process() -> Iterator[None]:
    """While the block runs, moto's in-process DynamoDB (`mock_aws`) handles one request at a time."""
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: DynamoHandler) -> Any:
        with _ONE_REQUEST:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoHandler.call_action = original  # type: ignore[method-assign]


def server(port: int) -> Any:
    """moto's threaded server on 127.0.0.1:`port`, handling one AWS request at a time."""
    from moto.server import DomainDispatcherApplication, MotoRequestHandler, ThreadedMotoServer, create_backend_app
    from werkzeug.serving import make_server

    class AtomicMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            backend = DomainDispatcherApplication(create_backend_app)

            def app(environ: dict[str, Any], start_response: Any) -> Any:
                with _ONE_REQUEST:
                    return list(backend(environ, start_response))

            self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    return AtomicMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
