//! tinyweb: answers every GET with a greeting, on the standard library only.
//! `--selftest` prints the answer to GET / and exits.

use std::env;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

fn body() -> String {
    let msg = greet::greet("rust-cargo");
    format!(
        "{} (tinyweb {}, fnv1a={:016x})\n",
        msg,
        env!("CARGO_PKG_VERSION"),
        greet::fnv1a(msg.as_bytes())
    )
}

fn handle(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let text = if request_line.starts_with("GET /health ") { "ok\n".to_string() } else { body() };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        text.len(),
        text
    )
}

fn main() {
    if env::args().skip(1).any(|a| a == "--selftest") {
        print!("{}", body());
        return;
    }
    let port = env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = TcpListener::bind(format!("0.0.0.0:{}", port)).expect("bind");
    println!("tinyweb listening on :{}", port);
    for stream in listener.incoming().flatten() {
        if let Err(e) = handle(stream) {
            eprintln!("tinyweb: {}", e);
        }
    }
}
