//! SIP messages (RFC 3261 §7) as they arrive in one UDP datagram: a bounded
//! parser for requests and responses, helpers for the header values the
//! adapter reads (name-addr URIs, tags, caller numbers), and the writer of
//! the responses and the few requests the adapter sends.
//!
//! The parser accepts what the adapter needs and refuses the rest:
//!
//! - a datagram of at most [`MAX_DATAGRAM`] bytes with at most
//!   [`MAX_HEADERS`] header lines; CRLF or bare LF line ends; empty lines
//!   before the start line are skipped (RFC 3261 §7.5); folded header lines
//!   are joined with one space;
//! - the header section must be UTF-8 and end with an empty line; header
//!   names are tokens, compared case-insensitively, the compact forms
//!   `v f t i m l c k s e` stand for their long names;
//! - Via, From, To, Call-ID and CSeq are required (one each, Via at least
//!   one); CSeq is `number method`, and a request's CSeq method is its own;
//! - with Content-Length the body is that many bytes (extra bytes are
//!   ignored, fewer is an error); without it, the rest of the datagram.
//!
//! It never panics, whatever the bytes (the fuzz target `sip_parse` checks
//! this and that [`Message::to_bytes`] re-parses to the same message).

use std::fmt;

/// Largest datagram the parser reads (64 KiB, above the UDP maximum).
pub const MAX_DATAGRAM: usize = 64 * 1024;
/// Most header lines (after folding) in one message.
pub const MAX_HEADERS: usize = 100;
/// The only SIP version spoken.
pub const VERSION: &str = "SIP/2.0";

/// Why a datagram is not a SIP message the adapter can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    /// The datagram is larger than [`MAX_DATAGRAM`].
    #[error("datagram of {0} bytes is larger than {MAX_DATAGRAM}")]
    TooLarge(usize),
    /// Nothing but empty lines.
    #[error("empty message")]
    Empty,
    /// No empty line ends the header section.
    #[error("no empty line ends the headers")]
    Unterminated,
    /// The start line or a header line is not UTF-8.
    #[error("line {0} is not UTF-8")]
    NotUtf8(usize),
    /// The start line is neither a request line nor a status line.
    #[error("bad start line: {0}")]
    StartLine(String),
    /// A header line is not `name: value`.
    #[error("bad header line {line}: {reason}")]
    HeaderLine {
        /// Line number, 1-based (the start line is line 1).
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// More than [`MAX_HEADERS`] header lines.
    #[error("more than {MAX_HEADERS} headers")]
    TooManyHeaders,
    /// A required header is missing.
    #[error("missing {0} header")]
    Missing(&'static str),
    /// A header that may appear once appears more often.
    #[error("more than one {0} header")]
    Duplicate(&'static str),
    /// A header's value is malformed.
    #[error("bad {name} header: {reason}")]
    BadHeader {
        /// The header.
        name: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// The body is shorter than Content-Length says.
    #[error("body of {actual} bytes is shorter than Content-Length {declared}")]
    Truncated {
        /// Content-Length.
        declared: usize,
        /// Bytes after the header section.
        actual: usize,
    },
}

/// A request method. Methods are case-sensitive (RFC 3261 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE: a call.
    Invite,
    /// ACK: the caller confirms a final answer to its INVITE.
    Ack,
    /// BYE: hang up an answered call.
    Bye,
    /// CANCEL: give up an INVITE not yet answered.
    Cancel,
    /// OPTIONS: capabilities, or a keep-alive ping.
    Options,
    /// REGISTER: a registration (answered 200 OK, not recorded).
    Register,
    /// Any other token.
    Other(String),
}

impl Method {
    fn parse(s: &str) -> Option<Method> {
        if !is_token(s) {
            return None;
        }
        Some(match s {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "REGISTER" => Method::Register,
            other => Method::Other(other.to_owned()),
        })
    }

    /// The method as on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Register => "REGISTER",
            Method::Other(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// `METHOD uri SIP/2.0`.
    Request {
        /// The method.
        method: Method,
        /// The Request-URI, as sent.
        uri: String,
    },
    /// `SIP/2.0 code reason`.
    Response {
        /// Status code, 100-699.
        code: u16,
        /// Reason phrase (may be empty).
        reason: String,
    },
}

/// One header line (folded lines joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    name: String,
    key: String,
    value: String,
}

impl Header {
    /// The name as sent (`v`, `VIA`, `Via`, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The long name in lower case (`via` for `v`, `VIA` and `Via`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The value, without surrounding whitespace.
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// The CSeq header: sequence number and method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// The sequence number.
    pub seq: u32,
    /// The method it numbers.
    pub method: Method,
}

/// A parsed SIP message: start line, headers in order, body.
///
/// Only [`parse`] makes one, so the required headers are always there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    start: StartLine,
    headers: Vec<Header>,
    body: Vec<u8>,
    cseq: CSeq,
}

impl Message {
    /// The start line.
    pub fn start(&self) -> &StartLine {
        &self.start
    }

    /// The method of a request; `None` for a response.
    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    /// The Request-URI of a request; `None` for a response.
    pub fn uri(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// All header lines, in order.
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// The values of every header with this long lower-case name, in order.
    pub fn all<'a, 'k>(&'a self, key: &'k str) -> impl Iterator<Item = &'a str> + use<'a, 'k> {
        self.headers
            .iter()
            .filter(move |h| h.key == key)
            .map(|h| h.value.as_str())
    }

    /// The value of the first header with this long lower-case name.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.all(key).next()
    }

    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        self.get("call-id").unwrap_or_default()
    }

    /// The From header's value.
    pub fn from(&self) -> &str {
        self.get("from").unwrap_or_default()
    }

    /// The To header's value.
    pub fn to(&self) -> &str {
        self.get("to").unwrap_or_default()
    }

    /// The CSeq.
    pub fn cseq(&self) -> &CSeq {
        &self.cseq
    }

    /// The body (exactly Content-Length bytes when the header is present).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The message on the wire: start line, headers as parsed, empty line,
    /// body. [`parse`] of the result gives this message again.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::new();
        match &self.start {
            StartLine::Request { method, uri } => {
                out.push_str(&format!("{method} {uri} {VERSION}\r\n"));
            }
            StartLine::Response { code, reason } => {
                out.push_str(&format!("{VERSION} {code} {reason}\r\n"));
            }
        }
        for h in &self.headers {
            out.push_str(&format!("{}: {}\r\n", h.name, h.value));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// Parses one datagram as a SIP request or response.
pub fn parse(datagram: &[u8]) -> Result<Message, SipError> {
    if datagram.len() > MAX_DATAGRAM {
        return Err(SipError::TooLarge(datagram.len()));
    }
    let mut lines = Lines {
        rest: datagram,
        number: 0,
    };
    // Empty lines before the start line (keep-alives) are skipped.
    let first = loop {
        match lines.next_line() {
            None => return Err(SipError::Empty),
            Some((_, [])) => {}
            Some(line) => break line,
        }
    };
    let start = parse_start(text(first)?)?;
    let mut headers: Vec<Header> = Vec::new();
    loop {
        let Some(line) = lines.next_line() else {
            return Err(SipError::Unterminated);
        };
        let (number, _) = line;
        let l = text(line)?;
        if l.is_empty() {
            break;
        }
        if l.starts_with([' ', '\t']) {
            let Some(last) = headers.last_mut() else {
                return Err(SipError::HeaderLine {
                    line: number,
                    reason: "continuation line before any header",
                });
            };
            let more = l.trim();
            if !more.is_empty() {
                if !last.value.is_empty() {
                    last.value.push(' ');
                }
                last.value.push_str(more);
            }
            continue;
        }
        if headers.len() == MAX_HEADERS {
            return Err(SipError::TooManyHeaders);
        }
        headers.push(parse_header(number, l)?);
    }
    let rest = lines.rest;
    let cseq = required_headers(&start, &headers)?;
    let body = match content_length(&headers)? {
        None => rest.to_vec(),
        Some(declared) => match rest.get(..declared) {
            Some(body) => body.to_vec(),
            None => {
                return Err(SipError::Truncated {
                    declared,
                    actual: rest.len(),
                });
            }
        },
    };
    Ok(Message {
        start,
        headers,
        body,
        cseq,
    })
}

/// The lines of the header section, LF-terminated, a CR before the LF
/// dropped.
struct Lines<'a> {
    rest: &'a [u8],
    number: usize,
}

impl<'a> Lines<'a> {
    /// The next line and its 1-based number; `None` when no LF is left.
    fn next_line(&mut self) -> Option<(usize, &'a [u8])> {
        let end = self.rest.iter().position(|&b| b == b'\n')?;
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest.get(1..).unwrap_or_default();
        self.number += 1;
        Some((self.number, line.strip_suffix(b"\r").unwrap_or(line)))
    }
}

fn text((number, line): (usize, &[u8])) -> Result<&str, SipError> {
    std::str::from_utf8(line).map_err(|_| SipError::NotUtf8(number))
}

fn parse_start(line: &str) -> Result<StartLine, SipError> {
    let bad = |what: &str| SipError::StartLine(format!("{what}: {:?}", clip(line)));
    if let Some(prefix) = line.get(..VERSION.len() + 1)
        && prefix.eq_ignore_ascii_case("SIP/2.0 ")
    {
        let rest = line.get(VERSION.len() + 1..).unwrap_or_default();
        let code_text = rest.get(..3).ok_or_else(|| bad("no status code"))?;
        let code: u16 = code_text
            .parse()
            .ok()
            .filter(|c| (100..=699).contains(c) && code_text.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad("status code is not 100-699"))?;
        let after = rest.get(3..).unwrap_or_default();
        if !(after.is_empty() || after.starts_with([' ', '\t'])) {
            return Err(bad("status code is not three digits"));
        }
        return Ok(StartLine::Response {
            code,
            reason: after.trim().to_owned(),
        });
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("expected `METHOD uri SIP/2.0`"));
    };
    let method = Method::parse(method).ok_or_else(|| bad("method is not a token"))?;
    if uri.is_empty() || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("bad Request-URI"));
    }
    if !version.eq_ignore_ascii_case(VERSION) {
        return Err(bad("not SIP/2.0"));
    }
    Ok(StartLine::Request {
        method,
        uri: uri.to_owned(),
    })
}

fn parse_header(line: usize, l: &str) -> Result<Header, SipError> {
    let Some((name, value)) = l.split_once(':') else {
        return Err(SipError::HeaderLine {
            line,
            reason: "no colon",
        });
    };
    let name = name.trim_end_matches([' ', '\t']);
    if !is_token(name) {
        return Err(SipError::HeaderLine {
            line,
            reason: "header name is not a token",
        });
    }
    Ok(Header {
        name: name.to_owned(),
        key: long_name(name),
        value: value.trim().to_owned(),
    })
}

/// The long lower-case name of a header name (compact forms expanded).
pub fn long_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let long = match lower.as_str() {
        "v" => "via",
        "f" => "from",
        "t" => "to",
        "i" => "call-id",
        "m" => "contact",
        "l" => "content-length",
        "c" => "content-type",
        "k" => "supported",
        "s" => "subject",
        "e" => "content-encoding",
        _ => return lower,
    };
    long.to_owned()
}

fn required_headers(start: &StartLine, headers: &[Header]) -> Result<CSeq, SipError> {
    let count = |key: &str| headers.iter().filter(|h| h.key == key).count();
    if count("via") == 0 {
        return Err(SipError::Missing("Via"));
    }
    for (key, name) in [
        ("from", "From"),
        ("to", "To"),
        ("call-id", "Call-ID"),
        ("cseq", "CSeq"),
    ] {
        match count(key) {
            0 => return Err(SipError::Missing(name)),
            1 => {}
            _ => return Err(SipError::Duplicate(name)),
        }
    }
    let value = |key: &str| {
        headers
            .iter()
            .find(|h| h.key == key)
            .map(|h| h.value.as_str())
            .unwrap_or_default()
    };
    let call_id = value("call-id");
    if call_id.is_empty() || call_id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SipError::BadHeader {
            name: "Call-ID",
            reason: "empty or contains whitespace",
        });
    }
    let bad_cseq = |reason| SipError::BadHeader {
        name: "CSeq",
        reason,
    };
    let mut cseq = value("cseq").split_whitespace();
    let (Some(seq), Some(method), None) = (cseq.next(), cseq.next(), cseq.next()) else {
        return Err(bad_cseq("expected `number METHOD`"));
    };
    let seq: u32 = seq
        .parse()
        .ok()
        .filter(|_| seq.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| bad_cseq("sequence number is not a 32-bit number"))?;
    let method = Method::parse(method).ok_or_else(|| bad_cseq("method is not a token"))?;
    if let StartLine::Request { method: m, .. } = start
        && *m != method
    {
        return Err(bad_cseq("method differs from the request's"));
    }
    Ok(CSeq { seq, method })
}

fn content_length(headers: &[Header]) -> Result<Option<usize>, SipError> {
    let mut values = headers.iter().filter(|h| h.key == "content-length");
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(SipError::Duplicate("Content-Length"));
    }
    let v = first.value.as_str();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SipError::BadHeader {
            name: "Content-Length",
            reason: "not a number",
        });
    }
    v.parse().map(Some).map_err(|_| SipError::BadHeader {
        name: "Content-Length",
        reason: "too large",
    })
}

/// RFC 3261 `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b))
}

fn clip(s: &str) -> String {
    s.chars().take(60).collect()
}

// ---------------------------------------------------------------------------
// Header values
// ---------------------------------------------------------------------------

/// The URI of a From/To/Contact value: between `<` and `>` for a name-addr
/// (`"Zhang" <sip:138…@gw>;tag=1`), else up to the first `;` (`sip:138…@gw;tag=1`).
pub fn addr_uri(value: &str) -> &str {
    if let Some((_, rest)) = value.split_once('<') {
        rest.split_once('>').map_or(rest, |(uri, _)| uri).trim()
    } else {
        value.split(';').next().unwrap_or_default().trim()
    }
}

/// The `tag` parameter of a From/To value, if any.
pub fn tag(value: &str) -> Option<&str> {
    let params = match value.rsplit_once('>') {
        Some((_, params)) => params,
        None => value.split_once(';').map_or("", |(_, p)| p),
    };
    params.split(';').find_map(|p| {
        let (name, v) = p.split_once('=')?;
        name.trim().eq_ignore_ascii_case("tag").then(|| v.trim())
    })
}

/// The caller's number in a From value: the user part of a `sip:`/`sips:`
/// URI or the number of a `tel:` URI, visual separators (`-.()` and spaces)
/// removed, `%2B` read as `+`; `None` unless it is an optional `+` and
/// 3-20 digits.
pub fn caller_number(from: &str) -> Option<String> {
    let uri = addr_uri(from);
    let (scheme, rest) = uri.split_once(':')?;
    let raw = match scheme.to_ascii_lowercase().as_str() {
        "sip" | "sips" => {
            let (userinfo, _host) = rest.rsplit_once('@')?;
            let user = userinfo.split(':').next().unwrap_or_default();
            user.split(';').next().unwrap_or_default()
        }
        "tel" => rest.split(';').next().unwrap_or_default(),
        _ => return None,
    };
    let raw = raw.replace("%2B", "+").replace("%2b", "+");
    let number: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | '.' | '(' | ')' | ' '))
        .collect();
    let digits = number.strip_prefix('+').unwrap_or(&number);
    let ok = (3..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(number)
}

/// The host of a SIP URI (`sip:user@host:port;params`): what the peer
/// dialled to reach this adapter.
pub fn uri_host(uri: &str) -> Option<&str> {
    let (_, rest) = uri.split_once(':')?;
    let hostport = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let hostport = hostport.split([';', '?', '>']).next().unwrap_or_default();
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        hostport.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then_some(host)
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// A response to `req`: status line, every Via, From, To (with `;tag=` +
/// `to_tag` added when the request's To has no tag), Call-ID, CSeq, then
/// `extra` headers, Content-Type when there is a body, and Content-Length.
pub fn response(
    req: &Message,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<(&str, &[u8])>,
) -> Vec<u8> {
    let mut out = format!("{VERSION} {code} {reason}\r\n");
    for via in req.all("via") {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    out.push_str(&format!("From: {}\r\n", req.from()));
    match to_tag {
        Some(t) if tag(req.to()).is_none() => {
            out.push_str(&format!("To: {};tag={t}\r\n", req.to()));
        }
        _ => out.push_str(&format!("To: {}\r\n", req.to())),
    }
    out.push_str(&format!("Call-ID: {}\r\n", req.call_id()));
    out.push_str(&format!("CSeq: {} {}\r\n", req.cseq.seq, req.cseq.method));
    finish(out, extra, body)
}

/// A request: request line, the given headers in order, Content-Type when
/// there is a body, and Content-Length.
pub fn request(
    method: &Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &[u8])>,
) -> Vec<u8> {
    let out = format!("{method} {uri} {VERSION}\r\n");
    finish(out, headers, body)
}

fn finish(mut out: String, headers: &[(&str, &str)], body: Option<(&str, &[u8])>) -> Vec<u8> {
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    let payload = match body {
        Some((content_type, payload)) => {
            out.push_str(&format!("Content-Type: {content_type}\r\n"));
            payload
        }
        None => &[],
    };
    out.push_str(&format!("Content-Length: {}\r\n\r\n", payload.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(payload);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:12345@10.0.0.1:5060 SIP/2.0\r\n\
        Via: SIP/2.0/UDP 10.0.0.2:5061;branch=z9hG4bK-1\r\n\
        Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK-0\r\n\
        From: \"Zhang San\" <sip:13812345678@10.0.0.2>;tag=abc\r\n\
        To: <sip:12345@10.0.0.1>\r\n\
        Call-ID: 1-42@10.0.0.2\r\n\
        CSeq: 1 INVITE\r\n\
        Contact: <sip:13812345678@10.0.0.2:5061>\r\n\
        Max-Forwards: 70\r\n\
        Content-Type: application/sdp\r\n\
        Content-Length: 4\r\n\
        \r\n\
        v=0\r\n";

    #[test]
    fn parses_a_request() {
        let m = parse(INVITE.as_bytes()).unwrap();
        assert_eq!(m.method(), Some(&Method::Invite));
        assert_eq!(m.uri(), Some("sip:12345@10.0.0.1:5060"));
        assert_eq!(m.all("via").count(), 2);
        assert_eq!(m.call_id(), "1-42@10.0.0.2");
        assert_eq!(
            m.cseq(),
            &CSeq {
                seq: 1,
                method: Method::Invite
            }
        );
        // Content-Length 4: the trailing CRLF is not body.
        assert_eq!(m.body(), b"v=0\r");
        assert_eq!(caller_number(m.from()).as_deref(), Some("13812345678"));
        assert_eq!(tag(m.from()), Some("abc"));
        assert_eq!(tag(m.to()), None);
        assert_eq!(uri_host(m.uri().unwrap()), Some("10.0.0.1"));
    }

    #[test]
    fn parses_a_response_with_compact_and_folded_headers() {
        let text = "\r\n\r\nSIP/2.0 180 Ringing now\n\
            v: SIP/2.0/UDP a;branch=z9hG4bK1\n\
            f: <sip:1@a>;tag=1\n\
            T: <sip:2@b>\n\
            \t;tag=2\n\
            i: x@y\n\
            CSEQ: 7   INVITE\n\
            l: 0\n\
            \n";
        let m = parse(text.as_bytes()).unwrap();
        assert_eq!(
            m.start(),
            &StartLine::Response {
                code: 180,
                reason: "Ringing now".into()
            }
        );
        assert_eq!(m.to(), "<sip:2@b> ;tag=2");
        assert_eq!(tag(m.to()), Some("2"));
        assert_eq!(m.call_id(), "x@y");
        assert_eq!(m.cseq().seq, 7);
        assert_eq!(m.headers()[0].name(), "v");
        assert_eq!(m.headers()[0].key(), "via");
        assert!(m.body().is_empty());
    }

    #[test]
    fn round_trips() {
        let m = parse(INVITE.as_bytes()).unwrap();
        assert_eq!(parse(&m.to_bytes()).unwrap(), m);
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        let cases: Vec<(String, SipError)> = vec![
            (String::new(), SipError::Empty),
            ("\r\n\r\n".into(), SipError::Empty),
            (
                "OPTIONS sip:a SIP/2.0\r\nVia: x\r\n".into(),
                SipError::Unterminated,
            ),
            (
                "HELLO\r\n\r\n".into(),
                SipError::StartLine("expected `METHOD uri SIP/2.0`: \"HELLO\"".into()),
            ),
            (
                "SIP/2.0 99 Odd\r\n\r\n".into(),
                SipError::StartLine("status code is not 100-699: \"SIP/2.0 99 Odd\"".into()),
            ),
            (
                "OPTIONS sip:a SIP/2.0\r\nVia x\r\n\r\n".into(),
                SipError::HeaderLine {
                    line: 2,
                    reason: "no colon",
                },
            ),
            (
                INVITE.replace("Call-ID: 1-42@10.0.0.2\r\n", ""),
                SipError::Missing("Call-ID"),
            ),
            (
                INVITE.replace("To: <sip:12345@10.0.0.1>\r\n", "To: a\r\nt: b\r\n"),
                SipError::Duplicate("To"),
            ),
            (
                INVITE.replace("CSeq: 1 INVITE", "CSeq: 1 BYE"),
                SipError::BadHeader {
                    name: "CSeq",
                    reason: "method differs from the request's",
                },
            ),
            (
                INVITE.replace("CSeq: 1 INVITE", "CSeq: 99999999999 INVITE"),
                SipError::BadHeader {
                    name: "CSeq",
                    reason: "sequence number is not a 32-bit number",
                },
            ),
            (
                INVITE.replace("Content-Length: 4", "Content-Length: 40"),
                SipError::Truncated {
                    declared: 40,
                    actual: 5,
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text.as_bytes()), Err(want), "{text:?}");
        }
        assert_eq!(
            parse(&vec![b'a'; MAX_DATAGRAM + 1]),
            Err(SipError::TooLarge(MAX_DATAGRAM + 1))
        );
        let mut many = INVITE.replace("\r\n\r\nv=0\r\n", "\r\n");
        for i in 0..MAX_HEADERS {
            many.push_str(&format!("X-{i}: y\r\n"));
        }
        many.push_str("\r\n");
        assert_eq!(parse(many.as_bytes()), Err(SipError::TooManyHeaders));
        let latin1 = INVITE
            .replace("Zhang San", "Zh\u{e4}ng")
            .replace('\u{e4}', "\u{fffd}");
        let mut bytes = latin1.into_bytes();
        let at = bytes
            .windows(3)
            .position(|w| w == "\u{fffd}".as_bytes())
            .unwrap();
        bytes.splice(at..at + 3, [0xe4]);
        assert_eq!(parse(&bytes), Err(SipError::NotUtf8(4)));
    }

    #[test]
    fn reads_caller_numbers() {
        let cases = [
            ("<sip:13812345678@gw>;tag=1", Some("13812345678")),
            ("sip:13812345678@gw;tag=1", Some("13812345678")),
            (
                "\"x\" <sips:+8613812345678;npdi@gw:5061>",
                Some("+8613812345678"),
            ),
            ("<sip:%2B8613812345678@gw>", Some("+8613812345678")),
            (
                "<tel:+86-10-6512-3456;phone-context=x>",
                Some("+861065123456"),
            ),
            ("<tel:0312-5012345>", Some("03125012345")),
            ("sipp <sip:sipp@127.0.0.1:5061>;tag=1", None),
            ("<sip:anonymous@anonymous.invalid>", None),
            ("<sip:gw>", None),
            ("<mailto:a@b>", None),
            ("<sip:12@gw>", None),
            ("<sip:+@gw>", None),
        ];
        for (from, want) in cases {
            assert_eq!(caller_number(from).as_deref(), want, "{from}");
        }
    }

    #[test]
    fn reads_uri_hosts() {
        assert_eq!(uri_host("sip:12345@[::1]:5060"), Some("::1"));
        assert_eq!(
            uri_host("sip:hotline.example;transport=udp"),
            Some("hotline.example")
        );
        assert_eq!(uri_host("sip:"), None);
    }

    #[test]
    fn writes_a_response_that_parses() {
        let req = parse(INVITE.as_bytes()).unwrap();
        let bytes = response(
            &req,
            200,
            "OK",
            Some("t1"),
            &[("Contact", "<sip:hotline@10.0.0.1:5060>")],
            Some(("application/sdp", b"v=0\r\n")),
        );
        let resp = parse(&bytes).unwrap();
        assert_eq!(
            resp.start(),
            &StartLine::Response {
                code: 200,
                reason: "OK".into()
            }
        );
        assert_eq!(
            resp.all("via").collect::<Vec<_>>(),
            req.all("via").collect::<Vec<_>>()
        );
        assert_eq!(resp.from(), req.from());
        assert_eq!(tag(resp.to()), Some("t1"));
        assert_eq!(resp.call_id(), req.call_id());
        assert_eq!(resp.cseq(), req.cseq());
        assert_eq!(resp.get("content-length"), Some("5"));
        assert_eq!(resp.body(), b"v=0\r\n");
        // A To that already has a tag keeps it.
        let again = parse(&response(&resp, 200, "OK", Some("t2"), &[], None)).unwrap();
        assert_eq!(tag(again.to()), Some("t1"));
    }
}
