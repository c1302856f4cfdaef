'use strict';

/* HTTP entry point. Run `node dist/server.js --selftest` to check the build. */
const http = require('http');
const { message } = require('./message.js');

function createServer() {
  return http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(message());
  });
}

// Start on a random loopback port, GET / once, print the body, exit.
function selftest() {
  const server = createServer();
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
  const port = Number(process.env.PORT) || 8080;
  createServer().listen(port, '0.0.0.0', () => {
    console.log(`listening on 0.0.0.0:${port}`);
  });
}
