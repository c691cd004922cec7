//! The client's HTTP failures: a lost connection is `Offline`, never `Invalid`,
//! so a lost answer is retried rather than taken as a refusal. A one-shot fake
//! server answers each test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken fixtures

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use sync_core::{Client, ClientError};

/// A server that reads one request and answers with `answer`, then closes (or,
/// with `None`, closes without answering anything).
fn one_shot_server(answer: Option<Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        // Headers, then the small JSON body: enough once the body has arrived.
        while let Ok(n) = stream.read(&mut buffer) {
            request.extend_from_slice(&buffer[..n]);
            if n == 0 || request.contains(&b'}') {
                break;
            }
        }
        if let Some(answer) = answer {
            let _ = stream.write_all(&answer);
        }
    });
    address
}

fn login_against(answer: Option<Vec<u8>>) -> Result<sync_core::Account, ClientError> {
    let address = one_shot_server(answer);
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new(dir.path(), &address).unwrap();
    client.login("mentor@example.org", "correct horse battery staple", "phone")
}

#[test]
fn a_body_cut_before_its_length_is_offline() {
    let answer =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"access_token\":\"ab"
            .to_vec();
    let result = login_against(Some(answer));
    assert!(matches!(result, Err(ClientError::Offline { .. })), "{result:?}");
}

#[test]
fn a_body_without_a_length_that_stops_early_is_offline() {
    let answer =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"access_token\":\"ab"
            .to_vec();
    let result = login_against(Some(answer));
    assert!(matches!(result, Err(ClientError::Offline { .. })), "{result:?}");
}

#[test]
fn a_connection_closed_without_an_answer_is_offline() {
    let result = login_against(None);
    assert!(matches!(result, Err(ClientError::Offline { .. })), "{result:?}");
}

#[test]
fn a_complete_answer_that_makes_no_sense_is_invalid() {
    let body = b"{\"unexpected\": true}";
    let mut answer =
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len())
            .into_bytes();
    answer.extend_from_slice(body);
    let result = login_against(Some(answer));
    assert!(matches!(result, Err(ClientError::Invalid { .. })), "{result:?}");
}
