'use strict';

const http = require('http');
const { greet } = require('greeting');

const PORT = Number(process.env.PORT) || 3000;

function handler(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${greet('node-root')}\n`);
}

// --selftest: serve on a random loopback port, GET / once, print the body.
function selftest() {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        process.stdout.write(body);
        server.close();
        process.exitCode = res.statusCode === 200 ? 0 : 1;
      });
    }).on('error', (err) => {
      console.error('selftest:', err.message);
      process.exit(1);
    });
  });
}

if (process.argv.includes('--selftest')) {
  selftest();
} else {
  http.createServer(handler).listen(PORT, '0.0.0.0', () => {
    console.log(`node-root listening on 0.0.0.0:${PORT}`);
  });
}
