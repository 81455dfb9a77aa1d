//! Just enough HTTP/1.1 for the double's servers: requests with Content-Length or chunked
//! bodies, keep-alive connections, and responses that always carry a Content-Length.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};

const MAX_LINE: u64 = 8 * 1024;
const MAX_HEADERS: usize = 100;
const MAX_BODY: usize = 16 * 1024 * 1024;

pub struct Request {
    pub method: String,
    /// The request target without its query.
    pub path: String,
    /// Header names in lower case.
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub keep_alive: bool,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

pub struct Response {
    status: u16,
    content_type: &'static str,
    /// Headers beyond those every response carries.
    extra: &'static str,
    body: Vec<u8>,
}

impl Response {
    pub fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status: 200,
            content_type,
            extra: "",
            body: body.into(),
        }
    }

    /// Zinc's answer to a request it has no handler for.
    pub fn not_found(path: &str) -> Self {
        Response {
            status: 404,
            content_type: "text/plain;charset=utf-8",
            extra: "",
            body: format!("Not Found {path}\n").into(),
        }
    }

    /// Zinc's answer to a request without the credentials its authenticator asks for.
    pub fn unauthorized() -> Self {
        Response {
            status: 401,
            content_type: "text/plain;charset=utf-8",
            extra: "WWW-Authenticate: Basic realm=ZincHTTPComponents\r\n",
            body: b"Unauthorized\n".to_vec(),
        }
    }

    fn bad_request() -> Self {
        Response {
            status: 400,
            content_type: "text/plain;charset=utf-8",
            extra: "",
            body: b"Bad Request\n".to_vec(),
        }
    }

    fn write_to(&self, out: &mut impl Write, keep_alive: bool) -> io::Result<()> {
        let reason = match self.status {
            200 => "OK",
            401 => "Unauthorized",
            404 => "Not Found",
            _ => "Bad Request",
        };
        let mut message = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nServer: Zinc HTTP Components 1.0 (Pharo/12.0)\r\n{}{}\r\n",
            self.status,
            self.content_type,
            self.body.len(),
            self.extra,
            if keep_alive { "" } else { "Connection: close\r\n" },
        )
        .into_bytes();
        message.extend_from_slice(&self.body);
        out.write_all(&message)?;
        out.flush()
    }
}

/// What a handler does with a request.
pub enum Reply {
    Send(Response),
    /// Send the response, then run an action (which must not wait for the client).
    SendThen(Response, Box<dyn FnOnce()>),
    /// Never answer: read and discard whatever the client sends until it hangs up.
    Silence,
    /// Close the connection without answering; the image is quitting.
    Quit,
}

/// How a connection ended.
#[derive(PartialEq)]
pub enum Ended {
    Closed,
    Quit,
}

enum ReadError {
    /// The client hung up (or the socket failed): nothing to answer.
    Closed,
    /// A malformed request: answer 400 and close.
    Bad,
}

/// Serves requests on one connection until either side closes it or the handler quits.
pub fn serve(stream: TcpStream, handle: impl Fn(&Request) -> Reply) -> Ended {
    let Ok(read_half) = stream.try_clone() else {
        return Ended::Closed;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let request = match read_request(&mut reader, &mut writer) {
            Ok(request) => request,
            Err(ReadError::Closed) => return Ended::Closed,
            Err(ReadError::Bad) => {
                let _ = Response::bad_request().write_to(&mut writer, false);
                return Ended::Closed;
            }
        };
        let (response, then) = match handle(&request) {
            Reply::Send(response) => (response, None),
            Reply::SendThen(response, then) => (response, Some(then)),
            Reply::Silence => {
                let _ = io::copy(&mut reader, &mut io::sink());
                return Ended::Closed;
            }
            Reply::Quit => {
                let _ = writer.shutdown(Shutdown::Both);
                return Ended::Quit;
            }
        };
        let sent = response.write_to(&mut writer, request.keep_alive);
        if let Some(then) = then {
            then();
        }
        if sent.is_err() || !request.keep_alive {
            return Ended::Closed;
        }
    }
}

/// Reads one request; `interim` receives the `100 Continue` a client may wait for.
fn read_request(reader: &mut impl BufRead, interim: &mut impl Write) -> Result<Request, ReadError> {
    let mut request_line = String::new();
    while request_line.is_empty() {
        request_line = read_line(reader)?.ok_or(ReadError::Closed)?;
    }
    let parts: Vec<&str> = request_line.split_whitespace().collect();
    let [method, target, version] = parts[..] else {
        return Err(ReadError::Bad);
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') {
        return Err(ReadError::Bad);
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or(ReadError::Bad)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or(ReadError::Bad)?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        if headers.len() > MAX_HEADERS {
            return Err(ReadError::Bad);
        }
    }
    let mut request = Request {
        method: method.to_string(),
        path: target.split('?').next().unwrap_or(target).to_string(),
        headers,
        body: Vec::new(),
        keep_alive: false,
    };
    let connection = request
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    request.keep_alive = match version {
        "HTTP/1.0" => connection.contains("keep-alive"),
        _ => !connection.contains("close"),
    };
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if request
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        interim
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|_| ReadError::Closed)?;
    }
    request.body = if chunked {
        read_chunked(reader)?
    } else {
        let length = match request.header("content-length") {
            Some(value) => value.parse::<usize>().map_err(|_| ReadError::Bad)?,
            None => 0,
        };
        read_exactly(reader, length)?
    };
    Ok(request)
}

fn read_chunked(reader: &mut impl BufRead) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or(ReadError::Bad)?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| ReadError::Bad)?;
        if size == 0 {
            // Skip the trailer section.
            while !read_line(reader)?.ok_or(ReadError::Bad)?.is_empty() {}
            return Ok(body);
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(ReadError::Bad);
        }
        body.extend(read_exactly(reader, size)?);
        if read_line(reader)? != Some(String::new()) {
            return Err(ReadError::Bad);
        }
    }
}

fn read_exactly(reader: &mut impl Read, length: usize) -> Result<Vec<u8>, ReadError> {
    if length > MAX_BODY {
        return Err(ReadError::Bad);
    }
    let mut body = vec![0; length];
    reader
        .read_exact(&mut body)
        .map_err(|_| ReadError::Closed)?;
    Ok(body)
}

/// Reads one CRLF- or LF-terminated line without its terminator; None at end of stream.
fn read_line(reader: &mut impl BufRead) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let read = (&mut *reader)
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .map_err(|_| ReadError::Closed)?;
    if read == 0 {
        return Ok(None);
    }
    if line.pop() != Some(b'\n') {
        return Err(ReadError::Bad);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| ReadError::Bad)
}
