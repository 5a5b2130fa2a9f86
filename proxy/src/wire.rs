//! The bytes on the wire: hyper answers a request it cannot parse (bad request line or header,
//! a header block too large, a URI too long) by itself, with an empty body. [`V1Wire`] puts
//! such an answer in v1's shape (`{"message": ...}`, JSON) on its way out, so every answer of
//! the proxy, the HTTP layer's included, reads like v1's.
//!
//! hyper's automatic answers are recognised by what the proxy's own never are: an error
//! status with `content-length: 0` and no `content-type`, written alone.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// An HTTP/1 server connection whose automatic error answers get v1 JSON bodies.
pub struct V1Wire<T> {
    inner: T,
    /// A rewritten answer not yet fully written.
    pending: Vec<u8>,
    sent: usize,
}

impl<T> V1Wire<T> {
    pub fn new(inner: T) -> Self {
        V1Wire {
            inner,
            pending: Vec::new(),
            sent: 0,
        }
    }
}

/// The v1 answer for one of hyper's automatic ones (`head` is a whole response head).
pub fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    if head.len() < 16 || !head.starts_with(b"HTTP/1.") || !head.ends_with(b"\r\n\r\n") {
        return None;
    }
    // The status first: every other answer (all of the proxy's 2xx) is passed on unread.
    let (status, message) = match &head[9..12] {
        b"400" => (
            "400 Bad Request",
            "The request could not be parsed: malformed request line, header or framing",
        ),
        b"414" => ("414 URI Too Long", "The request URI is too long"),
        b"431" => (
            "431 Request Header Fields Too Large",
            "Request headers are too large",
        ),
        _ => return None,
    };
    if head[..head.len() - 4].windows(4).any(|w| w == b"\r\n\r\n") {
        return None;
    }
    let lower = head.to_ascii_lowercase();
    let has = |needle: &[u8]| lower.windows(needle.len()).any(|w| w == needle);
    if !has(b"\r\ncontent-length: 0\r\n") || has(b"\r\ncontent-type:") {
        return None;
    }
    let body = serde_json::json!({ "message": message }).to_string();
    Some(
        format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<T: AsyncWrite + Unpin> V1Wire<T> {
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.pending.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }

    /// When `head` is one of hyper's automatic answers: takes it whole and writes its v1
    /// rewrite instead (what is not written now is written by the next write, flush or
    /// shutdown).
    fn take_automatic(
        &mut self,
        cx: &mut Context<'_>,
        head: &[u8],
    ) -> Option<Poll<io::Result<usize>>> {
        self.pending = rewrite(head)?;
        if let Poll::Ready(Err(e)) = self.poll_drain(cx) {
            return Some(Poll::Ready(Err(e)));
        }
        Some(Poll::Ready(Ok(head.len())))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for V1Wire<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for V1Wire<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        ready!(me.poll_drain(cx))?;
        if let Some(taken) = me.take_automatic(cx, buf) {
            return taken;
        }
        Pin::new(&mut me.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        ready!(me.poll_drain(cx))?;
        Pin::new(&mut me.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        ready!(me.poll_drain(cx))?;
        Pin::new(&mut me.inner).poll_shutdown(cx)
    }

    /// hyper queues a response's head and its body's chunks and writes them in one call, so a
    /// body is never copied into hyper's buffer. The head comes first and whole (hyper builds it
    /// in one buffer), so an automatic answer is seen by `rewrite` as before; the proxy's own
    /// answers pass through as they are.
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        ready!(me.poll_drain(cx))?;
        let Some(first) = bufs.iter().find(|b| !b.is_empty()) else {
            return Poll::Ready(Ok(0));
        };
        if let Some(taken) = me.take_automatic(cx, first) {
            return taken;
        }
        Pin::new(&mut me.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn vectored_writes_pass_answers_whole_and_rewrite_automatic_ones() {
        use tokio::io::AsyncWriteExt;
        let mut w = V1Wire::new(Vec::new());
        assert!(w.is_write_vectored(), "as vectored as what it wraps");
        let head =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n";
        let bufs = [io::IoSlice::new(head), io::IoSlice::new(b"{}")];
        let n = w.write_vectored(&bufs).await.unwrap();
        assert_eq!(n, head.len() + 2, "head and body in one write");
        let auto = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n";
        let n = w.write_vectored(&[io::IoSlice::new(auto)]).await.unwrap();
        assert_eq!(n, auto.len());
        w.flush().await.unwrap();
        let out = String::from_utf8(w.inner).unwrap();
        let (own, rewritten) = out.split_at(head.len() + 2);
        assert_eq!(own.as_bytes(), [&head[..], b"{}"].concat());
        assert!(rewritten.starts_with("HTTP/1.1 400 "), "{rewritten}");
        assert!(rewritten.contains("\"message\""), "{rewritten}");
    }

    #[test]
    fn rewrites_only_hypers_empty_error_answers() {
        let auto =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let out = String::from_utf8(rewrite(auto).unwrap()).unwrap();
        assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
        let body = out.split("\r\n\r\n").nth(1).unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(v["message"].as_str().unwrap().contains("too large"));
        assert!(out.contains(&format!("content-length: {}\r\n", body.len())));
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").is_some());
        // The proxy's own answers carry a JSON body and a content type: left alone.
        let own = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert!(rewrite(own).is_none());
        assert!(rewrite(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(rewrite(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 5\r\n\r\n").is_none());
        assert!(rewrite(b"{\"id\": 1}").is_none());
    }
}
