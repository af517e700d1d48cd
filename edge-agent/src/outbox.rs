//! The disk-backed outbox of upstream events.
//!
//! Every event gets the next sequence number and is written (and fsynced)
//! to a segment file before anyone may publish it; it is deleted only after
//! the host acknowledges a sequence number at or beyond it. Sequence numbers
//! are never reused, across crashes included, so the host can apply each
//! event exactly once.
//!
//! Layout of the directory:
//!
//! ```text
//! state                      "acked=<n>\n": highest acknowledged seq (durable before any deletion)
//! seg-<first seq, 20 digits>.log   records, in sequence order
//! ```
//!
//! A record is `len: u32 LE | crc32(seq ‖ payload): u32 LE | seq: u64 LE |
//! payload`, the payload being the event's JSON. On open, a torn or corrupt
//! tail is truncated; a corrupt record in the middle of the log is replaced
//! by `agent.lost` events for exactly the sequence numbers that could not be
//! read, so the host learns of the loss instead of waiting for them forever.
//!
//! **When full** (`limit_bytes`), new events are refused with
//! [`OutboxError::Full`] and counted; nothing already accepted is dropped.
//! The producer (a plugin's `emit`, the agent itself) sees the error, and the
//! heartbeat reports the refusals, so the operator sees a hall that has been
//! cut off too long. Acknowledged segments are deleted as soon as the
//! acknowledgement is durable.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bantong_fabric::msg::{Event, OutboxState};
use serde_json::json;

const HEADER: usize = 16;
/// Largest payload of one record (an event with a 1 MiB attachment, base64).
pub const MAX_RECORD_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("the outbox is full ({used} of {limit} bytes); the event was not accepted")]
    Full { used: u64, limit: u64 },
    #[error("event of {0} bytes is larger than an outbox record may be")]
    TooLarge(usize),
    #[error("outbox I/O: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// Bytes on disk before new events are refused.
    pub limit_bytes: u64,
    /// A segment file is closed and a new one started beyond this size.
    pub segment_bytes: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            limit_bytes: 256 * 1024 * 1024,
            segment_bytes: 8 * 1024 * 1024,
        }
    }
}

/// An event before it has a sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub ts_ms: i64,
    pub kind: String,
    pub source: String,
    pub subject: Option<String>,
    pub data: serde_json::Value,
    pub attachment: Option<bantong_fabric::msg::Attachment>,
}

impl Draft {
    fn into_event(self, seq: u64) -> Event {
        Event {
            seq,
            ts_ms: self.ts_ms,
            kind: self.kind,
            source: self.source,
            subject: self.subject,
            data: self.data,
            attachment: self.attachment,
        }
    }
}

struct Segment {
    path: PathBuf,
    first: u64,
    /// Byte offset of each record, by `seq - first`.
    offsets: Vec<u32>,
    bytes: u64,
}

impl Segment {
    fn last(&self) -> u64 {
        self.first + self.offsets.len() as u64 - 1
    }
}

/// The outbox. Not internally synchronized: the agent wraps it in a mutex.
pub struct Outbox {
    dir: PathBuf,
    config: OutboxConfig,
    segments: BTreeMap<u64, Segment>,
    /// The last segment, open for appending.
    active: Option<File>,
    next_seq: u64,
    acked: u64,
    total_bytes: u64,
    refused: u64,
    /// Events replaced by `agent.lost` when the log was opened.
    pub recovered_lost: u64,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("dir", &self.dir)
            .field("next_seq", &self.next_seq)
            .field("acked", &self.acked)
            .finish_non_exhaustive()
    }
}

fn segment_name(first: u64) -> String {
    format!("seg-{first:020}.log")
}

fn crc(seq: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&seq.to_le_bytes());
    h.update(payload);
    h.finalize()
}

fn encode_record(seq: u64, payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc(seq, payload).to_le_bytes());
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(payload);
}

/// Parses the record at the front of `buf`: `Some((seq, payload, size))`,
/// or `None` when it is torn, corrupt or absurd.
fn decode_record(buf: &[u8]) -> Option<(u64, &[u8], usize)> {
    let header = buf.get(..HEADER)?;
    let len = u32::from_le_bytes(header[0..4].try_into().ok()?) as usize;
    let sum = u32::from_le_bytes(header[4..8].try_into().ok()?);
    let seq = u64::from_le_bytes(header[8..16].try_into().ok()?);
    if len > MAX_RECORD_BYTES {
        return None;
    }
    let payload = buf.get(HEADER..HEADER + len)?;
    (crc(seq, payload) == sum).then_some((seq, payload, HEADER + len))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

fn lost_event(seq: u64, why: &str) -> Vec<u8> {
    let event = Event {
        seq,
        ts_ms: now_ms(),
        kind: "agent.lost".into(),
        source: "agent".into(),
        subject: None,
        data: json!({ "reason": why }),
        attachment: None,
    };
    bantong_fabric::encode(&event)
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Outbox {
    /// Opens (creating if needed) the outbox in `dir` and recovers it.
    pub fn open(dir: impl Into<PathBuf>, config: OutboxConfig) -> Result<Outbox, OutboxError> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        let acked = read_state(&dir.join("state"))?;
        let mut firsts: Vec<u64> = Vec::new();
        for entry in fs::read_dir(&dir)? {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if let Some(first) = name
                .strip_prefix("seg-")
                .and_then(|rest| rest.strip_suffix(".log"))
                .and_then(|n| n.parse::<u64>().ok())
            {
                firsts.push(first);
            } else if name.ends_with(".tmp") {
                let _ = fs::remove_file(dir.join(&*name));
            }
        }
        firsts.sort_unstable();

        let mut outbox = Outbox {
            dir: dir.clone(),
            config,
            segments: BTreeMap::new(),
            active: None,
            next_seq: acked + 1,
            acked,
            total_bytes: 0,
            refused: 0,
            recovered_lost: 0,
        };
        for (i, &first) in firsts.iter().enumerate() {
            let next_first = firsts.get(i + 1).copied();
            outbox.recover_segment(first, next_first)?;
        }
        // Drop segments the host had already acknowledged.
        outbox.delete_acked()?;
        if let Some(last) = outbox.segments.values().next_back() {
            outbox.next_seq = outbox.next_seq.max(last.last() + 1);
            if last.bytes < outbox.config.segment_bytes {
                outbox.active = Some(OpenOptions::new().append(true).open(&last.path)?);
            }
        }
        Ok(outbox)
    }

    fn recover_segment(&mut self, first: u64, next_first: Option<u64>) -> Result<(), OutboxError> {
        let path = self.dir.join(segment_name(first));
        let mut buf = Vec::new();
        File::open(&path)?.read_to_end(&mut buf)?;
        let mut offsets = Vec::new();
        let mut pos = 0usize;
        let mut expect = first;
        while pos < buf.len() {
            match decode_record(&buf[pos..]) {
                Some((seq, _, size)) if seq == expect => {
                    offsets.push(pos as u32);
                    pos += size;
                    expect += 1;
                }
                _ => break,
            }
        }
        let mut valid = pos as u64;
        if pos < buf.len() {
            tracing::warn!(
                segment = %path.display(),
                "outbox: truncating {} unreadable bytes after seq {}",
                buf.len() - pos,
                expect.saturating_sub(1)
            );
            let file = OpenOptions::new().write(true).open(&path)?;
            file.set_len(valid)?;
            // A later segment means the unreadable records were real events:
            // account for each missing number explicitly.
            if let Some(next_first) = next_first
                && next_first > expect
            {
                let mut out = Vec::new();
                for seq in expect..next_first {
                    let payload =
                        lost_event(seq, "outbox record unreadable after a crash or disk fault");
                    offsets.push((valid as usize + out.len()) as u32);
                    encode_record(seq, &payload, &mut out);
                    self.recovered_lost += 1;
                }
                file.write_all_at(&out, valid)?;
                valid += out.len() as u64;
            }
            file.sync_all()?;
        }
        if offsets.is_empty() {
            fs::remove_file(&path)?;
            return Ok(());
        }
        self.total_bytes += valid;
        self.segments.insert(
            first,
            Segment {
                path,
                first,
                offsets,
                bytes: valid,
            },
        );
        Ok(())
    }

    /// Assigns sequence numbers to `drafts`, writes them and syncs them to
    /// disk. All or nothing: when they do not fit, none is accepted.
    pub fn append(&mut self, drafts: Vec<Draft>) -> Result<std::ops::Range<u64>, OutboxError> {
        let first = self.next_seq;
        let mut records: Vec<(u64, Vec<u8>)> = Vec::with_capacity(drafts.len());
        let mut size = 0u64;
        for (i, draft) in drafts.into_iter().enumerate() {
            let seq = first + i as u64;
            let payload = bantong_fabric::encode(&draft.into_event(seq));
            if payload.len() > MAX_RECORD_BYTES {
                return Err(OutboxError::TooLarge(payload.len()));
            }
            size += (HEADER + payload.len()) as u64;
            records.push((seq, payload));
        }
        if self.total_bytes + size > self.config.limit_bytes {
            self.refused += records.len() as u64;
            return Err(OutboxError::Full {
                used: self.total_bytes,
                limit: self.config.limit_bytes,
            });
        }
        let mut buf = Vec::with_capacity(size as usize);
        let mut written: Vec<File> = Vec::new();
        for (seq, payload) in records {
            let full = self
                .segments
                .values()
                .next_back()
                .is_none_or(|s| s.bytes >= self.config.segment_bytes);
            if self.active.is_none() || full {
                self.flush_into_active(&mut buf, &mut written)?;
                self.start_segment(seq)?;
            }
            let Some(segment) = self.segments.values_mut().next_back() else {
                continue;
            };
            // `bytes` already counts what is buffered but not yet written.
            segment.offsets.push(segment.bytes as u32);
            let before = buf.len();
            encode_record(seq, &payload, &mut buf);
            let added = (buf.len() - before) as u64;
            // Track the segment size as if already written so rotation and
            // offsets agree; the bytes go out in `flush_into_active`.
            segment.bytes += added;
            self.total_bytes += added;
        }
        self.flush_into_active(&mut buf, &mut written)?;
        for file in &written {
            file.sync_data()?;
        }
        let end = first + self.segment_count_since(first);
        self.next_seq = end;
        Ok(first..end)
    }

    fn segment_count_since(&self, first: u64) -> u64 {
        self.segments
            .values()
            .next_back()
            .map_or(0, |s| s.last() + 1 - first)
    }

    fn flush_into_active(
        &mut self,
        buf: &mut Vec<u8>,
        written: &mut Vec<File>,
    ) -> Result<(), OutboxError> {
        if buf.is_empty() {
            return Ok(());
        }
        if let Some(file) = self.active.as_mut() {
            file.write_all(buf)?;
            written.push(file.try_clone()?);
        }
        buf.clear();
        Ok(())
    }

    fn start_segment(&mut self, first: u64) -> Result<(), OutboxError> {
        let path = self.dir.join(segment_name(first));
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&path)?;
        sync_dir(&self.dir)?;
        self.active = Some(file);
        self.segments.insert(
            first,
            Segment {
                path,
                first,
                offsets: Vec::new(),
                bytes: 0,
            },
        );
        Ok(())
    }

    /// Reads up to `max_events` events (and about `max_bytes`) starting at
    /// `from`, as their JSON; stops early at the end of the log.
    pub fn read_from(
        &self,
        from: u64,
        max_events: usize,
        max_bytes: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, OutboxError> {
        let mut out = Vec::new();
        let mut seq = from.max(self.acked + 1);
        let mut bytes = 0usize;
        while seq < self.next_seq && out.len() < max_events && bytes < max_bytes {
            let Some((_, segment)) = self.segments.range(..=seq).next_back() else {
                break;
            };
            if seq > segment.last() {
                break;
            }
            let file = File::open(&segment.path)?;
            let start = segment.offsets[(seq - segment.first) as usize] as u64;
            let stop_index = ((seq - segment.first) as usize + (max_events - out.len()))
                .min(segment.offsets.len());
            let end = segment
                .offsets
                .get(stop_index)
                .map_or(segment.bytes, |o| *o as u64);
            let mut buf = vec![0u8; (end - start) as usize];
            file.read_exact_at(&mut buf, start)?;
            let mut pos = 0;
            while pos < buf.len() && out.len() < max_events && bytes < max_bytes {
                let Some((rseq, payload, size)) = decode_record(&buf[pos..]) else {
                    return Err(OutboxError::Io(std::io::Error::other(format!(
                        "outbox record {seq} is unreadable"
                    ))));
                };
                bytes += payload.len();
                out.push((rseq, payload.to_vec()));
                pos += size;
                seq = rseq + 1;
            }
        }
        Ok(out)
    }

    /// Records the host's acknowledgement and deletes what it covers.
    pub fn ack(&mut self, upto: u64) -> Result<(), OutboxError> {
        let upto = upto.min(self.next_seq - 1);
        if upto <= self.acked {
            return Ok(());
        }
        self.acked = upto;
        if self
            .segments
            .values()
            .next()
            .is_some_and(|s| s.last() <= upto)
        {
            self.delete_acked()?;
        }
        Ok(())
    }

    fn delete_acked(&mut self) -> Result<(), OutboxError> {
        let doomed: Vec<u64> = self
            .segments
            .values()
            .filter(|s| s.last() <= self.acked)
            .map(|s| s.first)
            .collect();
        if doomed.is_empty() {
            return Ok(());
        }
        // The acknowledgement must be durable before the events go, or a
        // crash could make the next start reuse their sequence numbers.
        write_state(&self.dir, self.acked)?;
        let last_first = self.segments.keys().next_back().copied();
        for first in doomed {
            if let Some(segment) = self.segments.remove(&first) {
                self.total_bytes -= segment.bytes;
                if Some(first) == last_first {
                    self.active = None;
                }
                fs::remove_file(&segment.path)?;
            }
        }
        Ok(())
    }

    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn acked(&self) -> u64 {
        self.acked
    }

    pub fn state(&self) -> OutboxState {
        OutboxState {
            pending: self.next_seq - 1 - self.acked,
            bytes: self.total_bytes,
            limit_bytes: self.config.limit_bytes,
            next_seq: self.next_seq,
            acked: self.acked,
            refused: self.refused,
        }
    }

    pub fn segment_files(&self) -> usize {
        self.segments.len()
    }
}

fn read_state(path: &Path) -> Result<u64, OutboxError> {
    match fs::read_to_string(path) {
        Ok(text) => text
            .trim()
            .strip_prefix("acked=")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                OutboxError::Io(std::io::Error::other(format!(
                    "{} is not `acked=<n>`",
                    path.display()
                )))
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e.into()),
    }
}

fn write_state(dir: &Path, acked: u64) -> Result<(), OutboxError> {
    let tmp = dir.join("state.tmp");
    let mut file = File::create(&tmp)?;
    file.write_all(format!("acked={acked}\n").as_bytes())?;
    file.sync_all()?;
    fs::rename(&tmp, dir.join("state"))?;
    sync_dir(dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(n: u64) -> Draft {
        Draft {
            ts_ms: n as i64,
            kind: "test.tick".into(),
            source: "agent".into(),
            subject: None,
            data: json!({ "n": n }),
            attachment: None,
        }
    }

    fn small() -> OutboxConfig {
        OutboxConfig {
            limit_bytes: 64 * 1024,
            segment_bytes: 2 * 1024,
        }
    }

    fn seqs(records: &[(u64, Vec<u8>)]) -> Vec<u64> {
        records.iter().map(|(s, _)| *s).collect()
    }

    #[test]
    fn sequences_survive_reopen_and_acks_delete_segments() -> Result<(), OutboxError> {
        let dir = tempfile::tempdir()?;
        let mut ob = Outbox::open(dir.path(), small())?;
        assert_eq!(ob.append((1..=100).map(draft).collect())?, 1..101);
        assert!(ob.segment_files() > 3, "small segments rotate");
        assert_eq!(
            seqs(&ob.read_from(1, 10, usize::MAX)?),
            (1..=10).collect::<Vec<_>>()
        );
        assert_eq!(
            seqs(&ob.read_from(95, 10, usize::MAX)?),
            (95..=100).collect::<Vec<_>>()
        );
        ob.ack(60)?;
        assert!(seqs(&ob.read_from(1, 1, usize::MAX)?) == vec![61]);
        drop(ob);

        let mut ob = Outbox::open(dir.path(), small())?;
        assert_eq!(ob.next_seq(), 101);
        assert_eq!(ob.acked(), 60, "a deletion made the ack durable");
        ob.ack(100)?;
        assert_eq!(ob.segment_files(), 0);
        drop(ob);

        // Everything acknowledged and deleted: numbers still never repeat.
        let mut ob = Outbox::open(dir.path(), small())?;
        assert_eq!(ob.append(vec![draft(1)])?, 101..102);
        Ok(())
    }

    #[test]
    fn a_torn_tail_is_truncated_and_numbering_continues() -> Result<(), OutboxError> {
        let dir = tempfile::tempdir()?;
        let mut ob = Outbox::open(dir.path(), OutboxConfig::default())?;
        ob.append((1..=10).map(draft).collect())?;
        drop(ob);
        let path = dir.path().join(segment_name(1));
        let len = fs::metadata(&path)?.len();
        // Half of the last record reached the disk.
        OpenOptions::new()
            .write(true)
            .open(&path)?
            .set_len(len - 20)?;
        let mut ob = Outbox::open(dir.path(), OutboxConfig::default())?;
        assert_eq!(
            ob.next_seq(),
            10,
            "the torn event 10 was never acknowledged to its producer"
        );
        assert_eq!(ob.append(vec![draft(10)])?, 10..11);
        assert_eq!(
            seqs(&ob.read_from(1, 100, usize::MAX)?),
            (1..=10).collect::<Vec<_>>()
        );
        Ok(())
    }

    #[test]
    fn corruption_mid_log_becomes_explicit_lost_events() -> Result<(), OutboxError> {
        let dir = tempfile::tempdir()?;
        let mut ob = Outbox::open(dir.path(), small())?;
        ob.append((1..=60).map(draft).collect())?;
        drop(ob);
        // Flip a byte in the middle of the first segment.
        let path = dir.path().join(segment_name(1));
        let file = OpenOptions::new().read(true).write(true).open(&path)?;
        let mut b = [0u8; 1];
        file.read_exact_at(&mut b, 200)?;
        file.write_all_at(&[b[0] ^ 0xff], 200)?;
        let ob = Outbox::open(dir.path(), small())?;
        assert!(ob.recovered_lost > 0);
        let all = ob.read_from(1, 1000, usize::MAX)?;
        assert_eq!(
            seqs(&all),
            (1..=60).collect::<Vec<_>>(),
            "no gap in numbering"
        );
        let lost = all
            .iter()
            .filter(|(_, p)| String::from_utf8_lossy(p).contains("agent.lost"))
            .count() as u64;
        assert_eq!(lost, ob.recovered_lost);
        Ok(())
    }

    #[test]
    fn a_full_outbox_refuses_new_events_and_keeps_the_old() -> Result<(), OutboxError> {
        let dir = tempfile::tempdir()?;
        let mut ob = Outbox::open(
            dir.path(),
            OutboxConfig {
                limit_bytes: 4096,
                segment_bytes: 1024,
            },
        )?;
        let mut accepted = 0;
        loop {
            match ob.append(vec![draft(accepted + 1)]) {
                Ok(_) => accepted += 1,
                Err(OutboxError::Full { .. }) => break,
                Err(e) => return Err(e),
            }
        }
        assert!(accepted > 10);
        assert_eq!(ob.state().refused, 1);
        assert_eq!(ob.read_from(1, 1000, usize::MAX)?.len() as u64, accepted);
        // Once the host acknowledges, room comes back.
        ob.ack(accepted)?;
        assert!(ob.append(vec![draft(0)]).is_ok());
        Ok(())
    }
}
