//! One client connection: CONNECT and authentication, then a reader loop
//! in this task and a writer task fed by a bounded queue.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rumqttc::mqttbytes::Error as CodecError;
use rumqttc::{
    ConnAck, ConnectReturnCode, Packet, PubAck, PubComp, PubRec, Publish, QoS, SubAck,
    SubscribeReasonCode, UnsubAck,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Notify, mpsc, watch};

use crate::router::{ConnId, Outbound};
use crate::{Rights, Shared, Stats, filter};

/// The live connection of a client id, so a new connection with the same id
/// can close it (session take-over).
pub(crate) struct SessionEntry {
    conn: ConnId,
    kill: Arc<Notify>,
    done: watch::Receiver<bool>,
}

/// Closes the live connection of `client_id`; returns whether there was one.
pub(crate) fn kill_session(shared: &Shared, client_id: &str) -> bool {
    match lock(&shared.sessions).get(client_id) {
        Some(session) => {
            session.kill.notify_one();
            true
        }
        None => false,
    }
}

/// Why a connection ended; only a DISCONNECT suppresses the Last Will.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Disconnect,
    Closed,
    Shutdown,
}

/// Decodes one packet from the front of `buf`: `Ok(None)` when more bytes
/// are needed. Public through [`crate::decode_packet`] for fuzzing.
pub(crate) fn decode(buf: &mut BytesMut, max: usize) -> Result<Option<Packet>, CodecError> {
    match Packet::read(buf, max) {
        Ok(packet) => Ok(Some(packet)),
        Err(CodecError::InsufficientBytes(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn read_packet(
    rd: &mut OwnedReadHalf,
    buf: &mut BytesMut,
    max: usize,
) -> Result<Packet, String> {
    loop {
        if let Some(packet) = decode(buf, max).map_err(|e| e.to_string())? {
            return Ok(packet);
        }
        buf.reserve(4096);
        match rd.read_buf(buf).await {
            Ok(0) => return Err("connection closed".into()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Decrements the open-connection gauge however the task ends.
struct Open(Arc<Stats>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(crate) async fn serve(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    shared.stats.connections.fetch_add(1, Ordering::Relaxed);
    let _open = Open(shared.stats.clone());
    let max = shared.config.max_packet_bytes;
    let (mut rd, mut wr) = stream.into_split();
    let mut buf = BytesMut::with_capacity(4096);

    let connect = match tokio::time::timeout(
        shared.config.connect_timeout,
        read_packet(&mut rd, &mut buf, max),
    )
    .await
    {
        Ok(Ok(Packet::Connect(connect))) => connect,
        Ok(Ok(other)) => {
            tracing::debug!(%peer, "MQTT: first packet was not CONNECT: {other:?}");
            Stats::bump(&shared.stats.protocol_errors);
            return;
        }
        Ok(Err(e)) => {
            tracing::debug!(%peer, "MQTT: no CONNECT: {e}");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "MQTT: CONNECT timed out");
            return;
        }
    };

    let login = connect.login.as_ref();
    let decision = if connect.client_id.is_empty() {
        Err(ConnectReturnCode::BadClientId)
    } else {
        shared.auth.authenticate(
            &connect.client_id,
            login.map(|l| l.username.as_str()),
            login.map(|l| l.password.as_str()),
        )
    };
    let rights = match decision.and_then(|rights| match &connect.last_will {
        Some(will) if !filter::valid_topic(&will.topic) || !rights.may_publish(&will.topic) => {
            Err(ConnectReturnCode::NotAuthorized)
        }
        _ => Ok(rights),
    }) {
        Ok(rights) => rights,
        Err(code) => {
            Stats::bump(&shared.stats.refused_total);
            tracing::info!(%peer, client = %connect.client_id, "MQTT connection refused: {code:?}");
            let mut out = BytesMut::new();
            if Packet::ConnAck(ConnAck::new(code, false))
                .write(&mut out, max)
                .is_ok()
            {
                let _ = wr.write_all(&out).await;
            }
            return;
        }
    };
    Stats::bump(&shared.stats.connects_total);

    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let kill = Arc::new(Notify::new());
    let (done_tx, done_rx) = watch::channel(false);
    let previous = lock(&shared.sessions).insert(
        connect.client_id.clone(),
        SessionEntry {
            conn,
            kill: kill.clone(),
            done: done_rx,
        },
    );
    if let Some(previous) = previous {
        // Close the old connection and let it publish its will before this
        // one is acknowledged, so a retained "offline" can never land after
        // the new connection's "online".
        previous.kill.notify_one();
        let mut done = previous.done;
        let _ = tokio::time::timeout(Duration::from_secs(2), done.wait_for(|d| *d)).await;
    }

    let (tx, rx) = mpsc::channel(shared.config.client_queue);
    lock(&shared.router).connect(conn, tx.clone(), kill.clone());
    let writer = tokio::spawn(write_loop(wr, rx, max, shared.stats.clone()));
    let _ = tx
        .send(Outbound::Packet(Packet::ConnAck(ConnAck::new(
            ConnectReturnCode::Success,
            false,
        ))))
        .await;

    let keep_alive = match connect.keep_alive {
        0 => None,
        secs => Some(Duration::from_millis(u64::from(secs) * 1500)),
    };
    let mut session = Session {
        shared: &shared,
        conn,
        rights: &rights,
        tx: &tx,
        qos2: HashSet::new(),
    };
    let mut shutdown = shared.shutdown.clone();
    let end = loop {
        let read = async {
            match keep_alive {
                Some(limit) => tokio::time::timeout(limit, read_packet(&mut rd, &mut buf, max))
                    .await
                    .unwrap_or_else(|_| Err("keep-alive expired".into())),
                None => read_packet(&mut rd, &mut buf, max).await,
            }
        };
        let packet = tokio::select! {
            packet = read => packet,
            _ = kill.notified() => {
                tracing::debug!(client = %connect.client_id, "MQTT connection closed by the broker");
                break End::Closed;
            }
            _ = shutdown.changed() => break End::Shutdown,
        };
        match packet {
            Ok(Packet::Disconnect) => break End::Disconnect,
            Ok(packet) => {
                if let Err(e) = session.handle(packet).await {
                    Stats::bump(&shared.stats.protocol_errors);
                    tracing::info!(client = %connect.client_id, "MQTT protocol error: {e}");
                    break End::Closed;
                }
            }
            Err(e) => {
                tracing::debug!(client = %connect.client_id, "MQTT connection ended: {e}");
                break End::Closed;
            }
        }
    };

    lock(&shared.router).disconnect(conn);
    if end == End::Closed
        && let Some(will) = &connect.last_will
    {
        route(&shared, &will.topic, &will.message, will.qos, will.retain);
    }
    {
        let mut sessions = lock(&shared.sessions);
        if sessions
            .get(&connect.client_id)
            .is_some_and(|entry| entry.conn == conn)
        {
            sessions.remove(&connect.client_id);
        }
    }
    drop(tx);
    // Let the writer flush what is queued, but never wait on a client that
    // stopped reading.
    let abort = writer.abort_handle();
    if tokio::time::timeout(Duration::from_secs(2), writer)
        .await
        .is_err()
    {
        abort.abort();
    }
    let _ = done_tx.send(true);
}

struct Session<'a> {
    shared: &'a Shared,
    conn: ConnId,
    rights: &'a Rights,
    tx: &'a mpsc::Sender<Outbound>,
    /// QoS 2 packet ids received and not yet released.
    qos2: HashSet<u16>,
}

impl Session<'_> {
    async fn reply(&self, packet: Packet) -> Result<(), String> {
        self.tx
            .send(Outbound::Packet(packet))
            .await
            .map_err(|_| "writer closed".to_string())
    }

    async fn handle(&mut self, packet: Packet) -> Result<(), String> {
        let stats = &self.shared.stats;
        match packet {
            Packet::Publish(p) => {
                Stats::bump(&stats.messages_in);
                if !filter::valid_topic(&p.topic) {
                    return Err(format!("invalid topic {:?}", p.topic));
                }
                let allowed = self.rights.may_publish(&p.topic);
                if !allowed {
                    Stats::bump(&stats.denied_publish);
                    tracing::warn!(topic = %p.topic, "MQTT publish outside the client's rights dropped");
                }
                match p.qos {
                    QoS::AtMostOnce => {
                        if allowed {
                            route(self.shared, &p.topic, &p.payload, p.qos, p.retain);
                        }
                    }
                    QoS::AtLeastOnce => {
                        if allowed {
                            route(self.shared, &p.topic, &p.payload, p.qos, p.retain);
                        }
                        self.reply(Packet::PubAck(PubAck::new(p.pkid))).await?;
                    }
                    QoS::ExactlyOnce => {
                        if allowed && self.qos2.insert(p.pkid) {
                            route(self.shared, &p.topic, &p.payload, p.qos, p.retain);
                        }
                        self.reply(Packet::PubRec(PubRec::new(p.pkid))).await?;
                    }
                }
            }
            Packet::PubRel(rel) => {
                self.qos2.remove(&rel.pkid);
                self.reply(Packet::PubComp(PubComp::new(rel.pkid))).await?;
            }
            Packet::Subscribe(sub) => {
                let mut codes = Vec::with_capacity(sub.filters.len());
                let mut replay = Vec::new();
                for f in &sub.filters {
                    if !filter::valid_filter(&f.path) {
                        codes.push(SubscribeReasonCode::Failure);
                    } else if !self.rights.may_subscribe(&f.path) {
                        Stats::bump(&stats.denied_subscribe);
                        tracing::warn!(filter = %f.path, "MQTT subscription outside the client's rights refused");
                        codes.push(SubscribeReasonCode::Failure);
                    } else {
                        let granted = min_qos(f.qos, QoS::AtLeastOnce);
                        let retained =
                            lock(&self.shared.router).subscribe(self.conn, &f.path, granted);
                        replay.extend(retained.into_iter().map(|(topic, r)| (topic, r, granted)));
                        codes.push(SubscribeReasonCode::Success(granted));
                    }
                }
                self.reply(Packet::SubAck(SubAck::new(sub.pkid, codes)))
                    .await?;
                for (topic, retained, granted) in replay {
                    self.tx
                        .send(Outbound::Publish {
                            topic,
                            payload: retained.payload,
                            qos: min_qos(granted, retained.qos),
                            retain: true,
                        })
                        .await
                        .map_err(|_| "writer closed".to_string())?;
                }
            }
            Packet::Unsubscribe(unsub) => {
                {
                    let mut router = lock(&self.shared.router);
                    for topic in &unsub.topics {
                        router.unsubscribe(self.conn, topic);
                    }
                }
                self.reply(Packet::UnsubAck(UnsubAck::new(unsub.pkid)))
                    .await?;
            }
            Packet::PingReq => self.reply(Packet::PingResp).await?,
            // Acknowledgements of what we sent: clean sessions keep no
            // in-flight state, so there is nothing to release.
            Packet::PubAck(_) | Packet::PubComp(_) | Packet::PubRec(_) => {}
            other => return Err(format!("unexpected packet {other:?}")),
        }
        Ok(())
    }
}

fn min_qos(a: QoS, b: QoS) -> QoS {
    if a < b { a } else { b }
}

/// Delivers a message to every matching subscription (and stores it when
/// retained). A subscriber whose queue is full is disconnected rather than
/// silently missing a QoS 1 message.
pub(crate) fn route(shared: &Shared, topic: &str, payload: &Bytes, qos: QoS, retain: bool) {
    let qos = min_qos(qos, QoS::AtLeastOnce);
    let recipients = {
        let mut router = lock(&shared.router);
        if retain {
            router.retain(topic, payload, qos);
        }
        router.recipients(topic)
    };
    for (conn, tx, kill, sub_qos) in recipients {
        let message = Outbound::Publish {
            topic: topic.to_owned(),
            payload: payload.clone(),
            qos: min_qos(qos, sub_qos),
            retain: false,
        };
        match tx.try_send(message) {
            Ok(()) => Stats::bump(&shared.stats.messages_out),
            Err(mpsc::error::TrySendError::Full(_)) => {
                Stats::bump(&shared.stats.slow_clients);
                tracing::warn!(
                    conn,
                    "MQTT client too slow: its queue is full; disconnecting it"
                );
                kill.notify_one();
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

async fn write_loop(
    mut wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<Outbound>,
    max: usize,
    stats: Arc<Stats>,
) {
    let mut buf = BytesMut::with_capacity(8192);
    let mut pkid: u16 = 0;
    let mut encode = |message: Outbound, buf: &mut BytesMut| {
        let packet = match message {
            Outbound::Packet(packet) => packet,
            Outbound::Publish {
                topic,
                payload,
                qos,
                retain,
            } => {
                let mut publish = Publish::from_bytes(topic, qos, payload);
                publish.retain = retain;
                if qos != QoS::AtMostOnce {
                    pkid = pkid.checked_add(1).unwrap_or(1);
                    publish.pkid = pkid;
                }
                Packet::Publish(publish)
            }
        };
        if let Err(e) = packet.write(buf, max) {
            Stats::bump(&stats.protocol_errors);
            tracing::warn!("MQTT: packet not sent: {e}");
        }
    };
    while let Some(first) = rx.recv().await {
        encode(first, &mut buf);
        // Coalesce whatever else is queued into one write.
        while buf.len() < 64 * 1024 {
            match rx.try_recv() {
                Ok(message) => encode(message, &mut buf),
                Err(_) => break,
            }
        }
        if wr.write_all(&buf).await.is_err() {
            return;
        }
        buf.clear();
    }
    let _ = wr.shutdown().await;
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the router half-updated in
    // a way that matters more than refusing all further traffic would.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
