"""A tiny HTTP(S) server or forward proxy on 127.0.0.1 for tests of the
HTTP layer. It prints its port on stdout, then serves until killed.

  stub_server.py json BODY [--tls CERT KEY]   answer every POST with BODY
  stub_server.py proxy LOG                    forward proxy; one line per
                                              request to LOG
"""

import http.client
import http.server
import socketserver
import ssl
import sys
import urllib.parse


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def json_handler(body):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            self.rfile.read(length)
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass
    return Handler


def proxy_handler(log_path):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            with open(log_path, "a") as log:
                log.write(f"{self.command} {self.path}\n")
            conn = http.client.HTTPConnection(url.hostname, url.port)
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("proxy-connection",)}
            conn.request(self.command, url.path or "/", body, headers)
            reply = conn.getresponse()
            data = reply.read()
            self.send_response(reply.status)
            for key, value in reply.getheaders():
                if key.lower() not in ("transfer-encoding", "connection",
                                       "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass
    return Handler


def main():
    mode = sys.argv[1]
    if mode == "json":
        server = Server(("127.0.0.1", 0), json_handler(sys.argv[2]))
        if len(sys.argv) > 3 and sys.argv[3] == "--tls":
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[4], sys.argv[5])
            server.socket = context.wrap_socket(server.socket,
                                                server_side=True)
    elif mode == "proxy":
        server = Server(("127.0.0.1", 0), proxy_handler(sys.argv[2]))
    else:
        sys.exit(f"stub_server.py: unknown mode {mode!r}")
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
