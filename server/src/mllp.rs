//! The live HL7 feed's listener: MLLP over TCP (HL7 v2.x, Appendix C: each message framed by
//! 0x0B … 0x1C 0x0D). Every connection is served on its own task, one message at a time in the
//! order sent; each message is handed to the feed's one writer (`sieve_core::feed::Receiver`,
//! which commits what all senders sent meanwhile at once) and its acknowledgement written back,
//! framed, only after the report is committed. The background indexer makes new
//! reports searchable, and so labeled by the rules, within seconds.

use std::net::SocketAddr;

use sieve_app::ssr::AppState;
use sieve_core::feed::Receiver;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// MLLP's start block (vertical tab).
const START_BLOCK: u8 = 0x0B;
/// MLLP's end block (file separator) and the CR after it.
const END_BLOCK: [u8; 2] = [0x1C, 0x0D];
/// The largest message read; a sender passing it is disconnected (no report is that long).
const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// Binds `addr` and receives the feed there until the server stops; a failure to bind is the
/// caller's to report.
pub async fn listen(addr: SocketAddr, state: AppState) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    let receiver = Receiver::start(state.pool.clone(), state.pseudonymizer.clone())
        .map_err(std::io::Error::other)?;
    tracing::info!(%addr, "receiving the HL7 feed over MLLP");
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let receiver = receiver.clone();
                    tokio::spawn(async move {
                        if let Err(error) = serve(stream, &receiver).await {
                            tracing::warn!(%peer, %error, "feed connection ended");
                        }
                    });
                }
                Err(error) => tracing::error!(%error, "cannot accept a feed connection"),
            }
        }
    });
    Ok(())
}

/// Serves one sender's connection until it closes.
async fn serve(mut stream: TcpStream, receiver: &Receiver) -> std::io::Result<()> {
    let mut buffer: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some((message, used)) = frame(&buffer) {
            let ack = receiver.receive(message).await;
            let mut framed = Vec::with_capacity(ack.bytes.len() + 3);
            framed.push(START_BLOCK);
            framed.extend_from_slice(&ack.bytes);
            framed.extend_from_slice(&END_BLOCK);
            stream.write_all(&framed).await?;
            buffer.drain(..used);
        }
        if buffer.len() > MAX_MESSAGE_BYTES {
            return Err(std::io::Error::other(format!(
                "a message passed {MAX_MESSAGE_BYTES} bytes without its end block"
            )));
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
}

/// The first complete message in `buffer` (without its framing) and how many bytes it used,
/// bytes before a start block skipped.
fn frame(buffer: &[u8]) -> Option<(&[u8], usize)> {
    let start = buffer.iter().position(|byte| *byte == START_BLOCK)?;
    let body = &buffer[start + 1..];
    let end = body.windows(2).position(|pair| pair == END_BLOCK)?;
    Some((&body[..end], start + 1 + end + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_cut_at_their_end_block_and_noise_before_a_start_is_skipped() {
        let bytes = b"\r\n\x0bMSH|1\rPID|\r\x1c\r\x0bMSH|2\x1c";
        let (first, used) = frame(bytes).unwrap();
        assert_eq!(first, b"MSH|1\rPID|\r");
        assert_eq!(
            frame(&bytes[used..]),
            None,
            "the second frame is not complete"
        );
    }
}
