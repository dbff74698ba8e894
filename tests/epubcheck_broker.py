"""One EPUBCheck JVM for all the test processes of a run (conftest.EpubCheckServer starts it).

A JVM's first book costs about ten seconds of CPU (its start, EPUBCheck's schemas, the compiler's
warm-up), a warm check of a small book under one: with a JVM in each of `make test`'s three processes that
warm-up was paid three times. This process runs tests/EpubCheckServer.java and answers, on a Unix socket,
the same lines it reads ("EPUB<TAB>REPORT.json" -> "done EXITCODE"), one book at a time. It ends, and
its JVM with it, when the test run's controlling process (the pid it is given) has ended.

    python epubcheck_broker.py SOCKET OWNER_PID JAVA_ARGS...
"""

from __future__ import annotations

import os
import socketserver
import subprocess
import sys
import threading
import time


def main() -> None:
    socket_path, owner, command = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    jvm = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
    lock = threading.Lock()

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            for raw in self.rfile:
                line = raw.decode("utf-8").rstrip("\n")
                if not line:
                    continue
                with lock:
                    assert jvm.stdin and jvm.stdout
                    jvm.stdin.write(line + "\n")
                    jvm.stdin.flush()
                    answer = jvm.stdout.readline() or "gone\n"
                self.wfile.write(answer.encode("utf-8"))
                self.wfile.flush()

    class Server(socketserver.ThreadingUnixStreamServer):
        daemon_threads = True

    server = Server(socket_path, Handler)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                break
            if jvm.poll() is not None:
                break
        server.shutdown()

    threading.Thread(target=watch, daemon=True).start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
        try:
            os.unlink(socket_path)
        except OSError:
            pass
        if jvm.stdin:
            jvm.stdin.close()
        try:
            jvm.wait(timeout=30)
        except subprocess.TimeoutExpired:
            jvm.kill()


if __name__ == "__main__":
    main()
