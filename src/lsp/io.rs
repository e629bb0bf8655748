//! The wire: JSON-RPC messages framed by `Content-Length` headers on stdin/stdout. A reader
//! thread turns stdin into [`Incoming`] values; a message that is not JSON-RPC becomes
//! [`Incoming::Malformed`] instead of ending the server.

use std::io::{BufRead, Write};

use crossbeam_channel::{Receiver, unbounded};
use lsp_server::Message;
use serde_json::Value;

/// What the client sent.
#[derive(Debug)]
pub enum Incoming {
    /// A well-formed message.
    Message(Message),
    /// A frame whose body is not a JSON-RPC message; the text says why.
    Malformed(String),
}

/// Reads framed messages from `input` on a thread of its own; the channel closes at the end
/// of the input or when the framing itself is broken beyond repair.
pub fn reader(mut input: impl BufRead + Send + 'static) -> Receiver<Incoming> {
    let (sender, receiver) = unbounded();
    std::thread::spawn(move || {
        while let Some(frame) = read_frame(&mut input) {
            let incoming = match frame {
                Ok(body) => match serde_json::from_slice::<Message>(&body) {
                    Ok(message) => Incoming::Message(message),
                    Err(e) => Incoming::Malformed(e.to_string()),
                },
                Err(why) => Incoming::Malformed(why),
            };
            if sender.send(incoming).is_err() {
                break;
            }
        }
    });
    receiver
}

/// One frame's body, `Err` for a frame with a bad header, `None` at the end of the input.
fn read_frame(input: &mut impl BufRead) -> Option<Result<Vec<u8>, String>> {
    let mut length: Option<usize> = None;
    let mut bad_header = None;
    loop {
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if length.is_some() || bad_header.is_some() {
                break;
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) if n <= MAX_MESSAGE => length = Some(n),
                    _ => bad_header = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some(_) => {}
            None => bad_header = Some(format!("bad header line `{line}`")),
        }
    }
    let Some(length) = length else {
        return Some(Err(bad_header.unwrap_or_default()));
    };
    let mut body = vec![0; length];
    if input.read_exact(&mut body).is_err() {
        return None;
    }
    match bad_header {
        Some(why) => Some(Err(why)),
        None => Some(Ok(body)),
    }
}

/// The largest message accepted (an open document is limited far below this anyway).
const MAX_MESSAGE: usize = 256 << 20;

/// Writes one framed message.
pub fn write(output: &mut impl Write, message: &Value) {
    let body = serde_json::to_string(message).unwrap_or_default();
    let _ = write!(output, "Content-Length: {}\r\n\r\n{body}", body.len());
    let _ = output.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_and_garbage_is_reported_not_fatal() {
        let body = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: 7\r\n\r\nnotjson\
             Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc\r\n\r\n{body}",
            body.len()
        );
        let receiver = reader(std::io::Cursor::new(input.into_bytes()));
        let got: Vec<Incoming> = receiver.iter().collect();
        assert!(matches!(got[0], Incoming::Malformed(_)), "{got:?}");
        assert!(
            matches!(got[1], Incoming::Message(Message::Notification(_))),
            "{got:?}"
        );
        assert_eq!(got.len(), 2);
    }
}
