//! A small SMTP server for tests: it speaks the protocol over TCP on 127.0.0.1 (EHLO or
//! HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps each message it accepts, and can be
//! told to refuse recipients or messages. The notification tests send real mail to it
//! through lettre, so the client is never mocked.
//!
//! It can secure the dialogue as a relay does ([`SmtpTls`]): STARTTLS (advertised in
//! EHLO; MAIL refused until the upgrade, the dialogue starting again over TLS) or implicit
//! TLS (TLS from the first byte, `smtps://`), with the TEST-ONLY certificate of
//! `tests/fixtures/tls/` (signed by `ca.pem`, for 127.0.0.1 and localhost; or its expired
//! twin, [`SmtpCertificate::Expired`]). Handshakes
//! the client abandons are kept ([`SmtpSink::tls_failures`]), so a test proves a refusal
//! happened at the certificate, not elsewhere.
//!
//! Lines, messages, idle time and handshakes are bounded; a client past a bound is
//! answered with an error (when it can be) and disconnected. A minimal MIME reader
//! ([`ReceivedMail::subject`], [`ReceivedMail::parts`]) decodes what lettre writes
//! (encoded words, quoted-printable, base64) so tests check the French text itself.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

/// Longest command or text line, terminator included.
const MAX_LINE: u64 = 4096;
/// Largest message accepted.
const MAX_MESSAGE: usize = 32 * 1024 * 1024;
/// Longest wait for the client's next line.
const IDLE: Duration = Duration::from_secs(30);
/// Longest TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// How the sink answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpMode {
    /// Accepts every message.
    Accept,
    /// Refuses every recipient (550).
    RefuseRecipients,
}

/// How the sink secures the dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text throughout (`smtp://`).
    Plain,
    /// STARTTLS (`smtp://…?tls=required`): offered in EHLO, required before MAIL.
    StartTls,
    /// Implicit TLS (`smtps://`): TLS from the first byte.
    Implicit,
}

/// The test certificates' folder, `tests/fixtures/tls/`.
pub fn tls_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/tls")
}

/// One message the sink accepted.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent, dot-unstuffed, lines ending in CRLF.
    pub data: Vec<u8>,
    /// Whether it came over TLS (after STARTTLS, or implicit).
    pub tls: bool,
}

/// One MIME part, decoded.
#[derive(Debug, Clone)]
pub struct Part {
    /// Its `Content-Type`, lower-cased, without parameters.
    pub content_type: String,
    /// The file name of an attachment.
    pub filename: Option<String>,
    /// The decoded content.
    pub body: Vec<u8>,
}

/// A running sink.
pub struct SmtpSink {
    /// Where it listens.
    pub address: SocketAddr,
    tls: SmtpTls,
    messages: mpsc::UnboundedReceiver<ReceivedMail>,
    tls_failures: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What a connection shares with the sink.
#[derive(Clone)]
struct Shared {
    mode: SmtpMode,
    acceptor: Option<TlsAcceptor>,
    sender: mpsc::UnboundedSender<ReceivedMail>,
    tls_failures: Arc<Mutex<Vec<String>>>,
}

/// Which of the fixture certificates the relay presents (both for 127.0.0.1 and
/// localhost, signed by `ca.pem`, with the same key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpCertificate {
    /// `server.pem`, valid for a hundred years.
    Valid,
    /// `expired.pem`, valid in 2000 only: a relay whose certificate was not renewed.
    Expired,
}

/// The relay's TLS settings: the fixture certificate and key, rustls with ring.
fn acceptor(certificate: SmtpCertificate) -> TlsAcceptor {
    let dir = tls_fixtures();
    let file = match certificate {
        SmtpCertificate::Valid => "server.pem",
        SmtpCertificate::Expired => "expired.pem",
    };
    let certificates = CertificateDer::pem_file_iter(dir.join(file))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key.pem")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certificates, key)
    .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

impl SmtpSink {
    /// Starts a plain sink on a free port of 127.0.0.1.
    pub async fn start(mode: SmtpMode) -> Self {
        Self::start_with(mode, SmtpTls::Plain).await
    }

    /// Starts a sink securing the dialogue as `tls` says, on a free port of 127.0.0.1.
    pub async fn start_with(mode: SmtpMode, tls: SmtpTls) -> Self {
        Self::start_at("127.0.0.1", mode, tls).await
    }

    /// Starts a sink on a free port of `ip`, a loopback address: another one than
    /// 127.0.0.1 (Linux answers on all of 127.0.0.0/8) is a host its certificate is
    /// not for.
    pub async fn start_at(ip: &str, mode: SmtpMode, tls: SmtpTls) -> Self {
        Self::start_presenting(ip, mode, tls, SmtpCertificate::Valid).await
    }

    /// [`start_at`](Self::start_at), the relay presenting `certificate` in its TLS
    /// handshakes.
    pub async fn start_presenting(
        ip: &str,
        mode: SmtpMode,
        tls: SmtpTls,
        certificate: SmtpCertificate,
    ) -> Self {
        let listener = TcpListener::bind((ip, 0)).await.unwrap();
        let address = listener.local_addr().unwrap();
        let (sender, messages) = mpsc::unbounded_channel();
        let tls_failures = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            mode,
            acceptor: (tls != SmtpTls::Plain).then(|| acceptor(certificate)),
            sender,
            tls_failures: tls_failures.clone(),
        };
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = connection(stream, tls, &shared).await;
                });
            }
        });
        Self {
            address,
            tls,
            messages,
            tls_failures,
            task,
        }
    }

    /// The relay's URL for `SMTP_URL` at `host` (`127.0.0.1` or `localhost`, the
    /// names its certificate holds): `smtp://` plain, `smtp://…?tls=required` for
    /// STARTTLS, `smtps://` for implicit TLS.
    pub fn url_at(&self, host: &str) -> String {
        let port = self.address.port();
        match self.tls {
            SmtpTls::Plain => format!("smtp://{host}:{port}"),
            SmtpTls::StartTls => format!("smtp://{host}:{port}?tls=required"),
            SmtpTls::Implicit => format!("smtps://{host}:{port}"),
        }
    }

    /// The relay's URL at the address it listens on, for `SMTP_URL`.
    pub fn url(&self) -> String {
        self.url_at(&self.address.ip().to_string())
    }

    /// The next message accepted, waiting up to `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<ReceivedMail> {
        tokio::time::timeout(timeout, self.messages.recv())
            .await
            .ok()
            .flatten()
    }

    /// A message already accepted, without waiting.
    pub fn try_next(&mut self) -> Option<ReceivedMail> {
        self.messages.try_recv().ok()
    }

    /// Why each failed TLS handshake failed, as the server saw it (an alert the client
    /// sent, a timeout…).
    pub fn tls_failures(&self) -> Vec<String> {
        self.tls_failures
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default()
    }

    /// [`tls_failures`](Self::tls_failures), waiting up to `timeout` for a first one:
    /// the client may learn of the failure before the server does.
    pub async fn tls_failures_within(&self, timeout: Duration) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let failures = self.tls_failures();
            if !failures.is_empty() || tokio::time::Instant::now() >= deadline {
                return failures;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One client, from the greeting (or the handshake) to QUIT.
async fn connection(stream: TcpStream, tls: SmtpTls, shared: &Shared) -> std::io::Result<()> {
    match tls {
        SmtpTls::Plain => {
            let mut reader = BufReader::new(stream);
            dialogue(&mut reader, true, false, false, shared).await?;
        }
        SmtpTls::Implicit => {
            let Some(secure) = handshake(stream, shared).await else {
                return Ok(());
            };
            dialogue(&mut BufReader::new(secure), true, false, true, shared).await?;
        }
        SmtpTls::StartTls => {
            let mut reader = BufReader::new(stream);
            if dialogue(&mut reader, true, true, false, shared).await? == End::StartTls {
                // Bytes sent after STARTTLS, before the handshake, would be commands an
                // attacker injected in clear: a relay must not run them over TLS.
                if !reader.buffer().is_empty() {
                    return Ok(());
                }
                let Some(secure) = handshake(reader.into_inner(), shared).await else {
                    return Ok(());
                };
                // RFC 3207: the dialogue starts again, without a new greeting.
                dialogue(&mut BufReader::new(secure), false, false, true, shared).await?;
            }
        }
    }
    Ok(())
}

/// The server side of a TLS handshake on `stream`, bounded by [`HANDSHAKE`]; a failure
/// is kept for [`SmtpSink::tls_failures`].
async fn handshake(
    stream: TcpStream,
    shared: &Shared,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    let acceptor = shared.acceptor.as_ref()?;
    let failure = match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
        Ok(Ok(secure)) => return Some(secure),
        Ok(Err(error)) => error.to_string(),
        Err(_) => "handshake timed out".to_owned(),
    };
    if let Ok(mut failures) = shared.tls_failures.lock() {
        failures.push(failure);
    }
    None
}

/// Reads one line of at most [`MAX_LINE`] bytes, waiting at most [`IDLE`]; `None` at the
/// end of the stream, past the bound or after the wait.
async fn line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Vec<u8>> {
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(
        IDLE,
        (&mut *reader).take(MAX_LINE).read_until(b'\n', &mut buffer),
    )
    .await
    .ok()?
    .ok()?;
    if read == 0 || !buffer.ends_with(b"\n") {
        return None;
    }
    Some(buffer)
}

/// How a dialogue ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// QUIT, an error or a bound: the connection closes.
    Closed,
    /// The client asked for STARTTLS and was told to begin the handshake.
    StartTls,
}

/// The SMTP dialogue on `stream`: greets if `greet`, offers STARTTLS if `offer_tls`
/// (and then refuses MAIL until it), marks the messages it accepts `tls` if `tls`.
async fn dialogue<S>(
    stream: &mut BufReader<S>,
    greet: bool,
    offer_tls: bool,
    tls: bool,
    shared: &Shared,
) -> std::io::Result<End>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if greet {
        stream
            .get_mut()
            .write_all(b"220 sink.test ESMTP ready\r\n")
            .await?;
    }
    let mut from = None;
    let mut to = Vec::new();
    loop {
        let Some(command) = line(stream).await else {
            stream
                .get_mut()
                .write_all(b"500 line too long, idle too long or connection closed\r\n")
                .await?;
            return Ok(End::Closed);
        };
        let text = String::from_utf8_lossy(&command).trim_end().to_owned();
        let verb = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" if offer_tls => {
                b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-STARTTLS\r\n250 SIZE 33554432\r\n"
            }
            "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 33554432\r\n",
            "HELO" => b"250 sink.test\r\n",
            "STARTTLS" if offer_tls => {
                stream
                    .get_mut()
                    .write_all(b"220 2.0.0 ready to start TLS\r\n")
                    .await?;
                return Ok(End::StartTls);
            }
            "STARTTLS" => b"503 5.5.1 TLS not available or already active\r\n",
            "MAIL" if offer_tls => b"530 5.7.0 must issue a STARTTLS command first\r\n",
            "MAIL" => {
                from = Some(address_of(&text));
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" if from.is_none() => b"503 MAIL first\r\n",
            "RCPT" if shared.mode == SmtpMode::RefuseRecipients => {
                b"550 5.7.1 relaying denied\r\n"
            }
            "RCPT" => {
                to.push(address_of(&text));
                b"250 OK\r\n"
            }
            "DATA" if to.is_empty() => b"503 RCPT first\r\n",
            "DATA" => {
                stream
                    .get_mut()
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = Vec::new();
                loop {
                    let Some(mut text) = line(stream).await else {
                        stream
                            .get_mut()
                            .write_all(b"500 line too long or idle too long\r\n")
                            .await?;
                        return Ok(End::Closed);
                    };
                    if text == b".\r\n" || text == b".\n" {
                        break;
                    }
                    if text.starts_with(b".") {
                        text.remove(0);
                    }
                    if data.len() + text.len() > MAX_MESSAGE {
                        stream
                            .get_mut()
                            .write_all(b"552 message too large\r\n")
                            .await?;
                        return Ok(End::Closed);
                    }
                    data.extend_from_slice(&text);
                }
                let _ = shared.sender.send(ReceivedMail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                    tls,
                });
                b"250 OK queued\r\n"
            }
            "RSET" => {
                from = None;
                to.clear();
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                stream.get_mut().write_all(b"221 bye\r\n").await?;
                stream.get_mut().shutdown().await?;
                return Ok(End::Closed);
            }
            _ => b"502 command not implemented\r\n",
        };
        stream.get_mut().write_all(reply).await?;
    }
}

/// The address in `MAIL FROM:<a@b> SIZE=…` or `RCPT TO:<a@b>`.
fn address_of(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_owned()
}

/// Headers (unfolded) and body of a message or part.
fn split(data: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let end = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            data.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })
        .unwrap_or((data.len(), data.len()));
    let head = String::from_utf8_lossy(&data[..end.0]);
    let mut headers: Vec<(String, String)> = Vec::new();
    for raw in head.split('\n') {
        let raw = raw.trim_end_matches('\r');
        if raw.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(raw.trim());
            }
        } else if let Some((name, value)) = raw.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    (headers, &data[end.1..])
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// A parameter of a header value (`boundary`, `filename`), unquoted, its RFC 2231
/// continuations (`filename*0="…"; filename*1="…"`) and encoding (`filename*=utf-8''…`)
/// decoded.
fn parameter(value: &str, name: &str) -> Option<String> {
    let mut pieces: Vec<(usize, Vec<u8>)> = Vec::new();
    for p in value.split(';').skip(1) {
        let Some((key, raw)) = p.trim().split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let raw = raw.trim().trim_matches('"');
        let Some(rest) = key.strip_prefix(&name.to_ascii_lowercase()) else {
            continue;
        };
        let (index, encoded) = match rest {
            "" => (0, false),
            "*" => (0, true),
            _ => {
                let Some(number) = rest.strip_prefix('*') else {
                    continue;
                };
                let (digits, encoded) = match number.strip_suffix('*') {
                    Some(digits) => (digits, true),
                    None => (number, false),
                };
                let Ok(index) = digits.parse::<usize>() else {
                    continue;
                };
                (index, encoded)
            }
        };
        let bytes = if encoded {
            // charset'language'percent-encoded, the prefix only on the first piece.
            let text = match raw.splitn(3, '\'').collect::<Vec<_>>().as_slice() {
                [_, _, text] => *text,
                _ => raw,
            };
            percent_decode(text)
        } else {
            raw.as_bytes().to_vec()
        };
        pieces.push((index, bytes));
    }
    if pieces.is_empty() {
        return None;
    }
    pieces.sort_by_key(|(index, _)| *index);
    let bytes: Vec<u8> = pieces.into_iter().flat_map(|(_, b)| b).collect();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); adjacent words
/// are joined before decoding, since one character may be split across two.
fn decode_words(value: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.extend_from_slice(before.as_bytes());
        }
        let word = &rest[start + 2..];
        let parts: Vec<&str> = word.splitn(3, '?').collect();
        let Some(end) = parts.get(2).and_then(|p| p.find("?=")) else {
            out.extend_from_slice(&rest.as_bytes()[start..]);
            return String::from_utf8_lossy(&out).into_owned();
        };
        let (encoding, text) = (parts[1], &parts[2][..end]);
        let bytes = if encoding.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .unwrap_or_default()
        } else {
            quoted_printable(text.replace('_', " ").as_bytes())
        };
        out.extend_from_slice(&bytes);
        let consumed = start + 2 + parts[0].len() + 1 + parts[1].len() + 1 + end + 2;
        rest = &rest[consumed..];
        last_was_word = true;
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

fn quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'=' if input.get(i + 1) == Some(&b'\r') && input.get(i + 2) == Some(&b'\n') => i += 3,
            b'=' if input.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' => {
                let hex = input
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

fn decode_body(headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    match header(headers, "content-transfer-encoding")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("base64") => {
            let compact: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .unwrap_or_default()
        }
        Some("quoted-printable") => quoted_printable(body),
        _ => body.to_vec(),
    }
}

impl ReceivedMail {
    /// A header of the message, unfolded and decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = split(&self.data);
        header(&headers, &name.to_ascii_lowercase()).map(decode_words)
    }

    /// The decoded `Subject`.
    pub fn subject(&self) -> String {
        self.header("subject").unwrap_or_default()
    }

    /// The parts of a multipart message (one level, as lettre writes a mixed message),
    /// or the message itself as one part.
    pub fn parts(&self) -> Vec<Part> {
        let (headers, body) = split(&self.data);
        let content_type = header(&headers, "content-type").unwrap_or("text/plain");
        let Some(boundary) = parameter(content_type, "boundary") else {
            return vec![part(&headers, body)];
        };
        let delimiter = format!("--{boundary}");
        let text = body;
        let mut parts = Vec::new();
        let positions: Vec<usize> = text
            .windows(delimiter.len())
            .enumerate()
            .filter(|(_, w)| *w == delimiter.as_bytes())
            .map(|(i, _)| i)
            .collect();
        for pair in positions.windows(2) {
            let start = pair[0] + delimiter.len();
            let chunk = &text[start..pair[1]];
            let chunk = chunk.strip_prefix(b"\r\n").unwrap_or(chunk);
            let chunk = chunk.strip_suffix(b"\r\n").unwrap_or(chunk);
            let (headers, body) = split(chunk);
            parts.push(part(&headers, body));
        }
        parts
    }

    /// The first text/plain part, decoded.
    pub fn text(&self) -> String {
        self.parts()
            .into_iter()
            .find(|p| p.content_type == "text/plain" && p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.body).replace("\r\n", "\n"))
            .unwrap_or_default()
    }
}

fn part(headers: &[(String, String)], body: &[u8]) -> Part {
    let content_type = header(headers, "content-type")
        .unwrap_or("text/plain")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let filename = header(headers, "content-disposition")
        .and_then(|d| parameter(d, "filename"))
        .map(|f| decode_words(&f));
    Part {
        content_type,
        filename,
        body: decode_body(headers, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The relay's replies up to the first line that does not continue (`250-…`).
    async fn reply(reader: &mut BufReader<TcpStream>) -> String {
        let mut all = String::new();
        loop {
            let Some(text) = line(reader).await else {
                return all;
            };
            let text = String::from_utf8_lossy(&text).into_owned();
            all.push_str(&text);
            if text.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    #[tokio::test]
    async fn starttls_is_offered_required_and_not_fooled_by_injected_commands() {
        let sink = SmtpSink::start_with(SmtpMode::Accept, SmtpTls::StartTls).await;
        let mut client = BufReader::new(TcpStream::connect(sink.address).await.unwrap());
        assert!(reply(&mut client).await.starts_with("220 "));
        client.get_mut().write_all(b"EHLO test\r\n").await.unwrap();
        assert!(reply(&mut client).await.contains("250-STARTTLS\r\n"));
        client
            .get_mut()
            .write_all(b"MAIL FROM:<a@b.fr>\r\n")
            .await
            .unwrap();
        assert!(reply(&mut client).await.starts_with("530 "));
        // A command sent in clear after STARTTLS, before the handshake, closes the
        // connection: it would otherwise run inside the TLS session.
        client
            .get_mut()
            .write_all(b"STARTTLS\r\nMAIL FROM:<a@b.fr>\r\n")
            .await
            .unwrap();
        assert!(reply(&mut client).await.starts_with("220 "));
        assert_eq!(reply(&mut client).await, "", "closed");
        assert!(sink.tls_failures().is_empty(), "no handshake began");

        // Implicit TLS: a client speaking in clear gets no greeting, only a failed
        // handshake.
        let sink = SmtpSink::start_with(SmtpMode::Accept, SmtpTls::Implicit).await;
        let mut client = BufReader::new(TcpStream::connect(sink.address).await.unwrap());
        client.get_mut().write_all(b"EHLO test\r\n").await.unwrap();
        assert_eq!(reply(&mut client).await, "", "closed");
        let failures = sink.tls_failures_within(Duration::from_secs(5)).await;
        assert_eq!(failures.len(), 1, "{failures:?}");
    }

    #[test]
    fn encoded_words_and_quoted_printable_decode() {
        assert_eq!(
            decode_words("=?utf-8?b?SW1wb3J0IHJlamV0w6k=?= suite"),
            "Import rejeté suite"
        );
        assert_eq!(decode_words("=?utf-8?q?rejet=C3=A9?="), "rejeté");
        assert_eq!(decode_words("=?utf-8?b?YQ==?= =?utf-8?b?Yg==?="), "ab");
        assert_eq!(quoted_printable(b"r=C3=A9=\r\nsum=E9"), b"r\xc3\xa9sum\xe9");
        assert_eq!(address_of("MAIL FROM:<a@b.fr> SIZE=12"), "a@b.fr");
        assert_eq!(
            parameter(
                "attachment; filename*0=\"ab\"; filename*1=\"c.txt\"",
                "filename"
            )
            .as_deref(),
            Some("abc.txt")
        );
        assert_eq!(
            parameter(
                "attachment; filename*0*=utf-8''r%C3%A9; filename*1=\"sum\"",
                "filename"
            )
            .as_deref(),
            Some("résum")
        );
        assert_eq!(
            parameter("multipart/mixed; boundary=\"x y\"", "boundary").as_deref(),
            Some("x y")
        );
    }
}
