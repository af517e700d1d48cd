//! Subscriptions in a topic trie, and the retained messages.
//!
//! The router is plain data behind one mutex: the connection tasks take the
//! lock to subscribe or to find the recipients of a publish, then send
//! outside it.

use std::collections::HashMap;

use bytes::Bytes;
use rumqttc::QoS;
use std::sync::Arc;

use tokio::sync::{Notify, mpsc};

use crate::filter;

/// Identifies one network connection (not a client id: a client id can
/// reconnect and get a new connection).
pub(crate) type ConnId = u64;

/// What a connection's writer is asked to send.
#[derive(Debug)]
pub(crate) enum Outbound {
    Publish {
        topic: String,
        payload: Bytes,
        qos: QoS,
        retain: bool,
    },
    Packet(rumqttc::Packet),
}

/// A connection a message goes to: its queue, its kill switch (for a
/// client too slow to keep up) and the QoS it subscribed with.
pub(crate) type Recipient = (ConnId, mpsc::Sender<Outbound>, Arc<Notify>, QoS);

#[derive(Default)]
struct Node {
    children: HashMap<Box<str>, Node>,
    /// Connections whose filter ends at this node.
    subscribers: HashMap<ConnId, QoS>,
}

impl Node {
    fn is_empty(&self) -> bool {
        self.children.is_empty() && self.subscribers.is_empty()
    }

    fn insert(&mut self, levels: &[&str], conn: ConnId, qos: QoS) {
        match levels.split_first() {
            None => {
                self.subscribers.insert(conn, qos);
            }
            Some((first, rest)) => self
                .children
                .entry((*first).into())
                .or_default()
                .insert(rest, conn, qos),
        }
    }

    fn remove(&mut self, levels: &[&str], conn: ConnId) {
        match levels.split_first() {
            None => {
                self.subscribers.remove(&conn);
            }
            Some((first, rest)) => {
                if let Some(child) = self.children.get_mut(*first) {
                    child.remove(rest, conn);
                    if child.is_empty() {
                        self.children.remove(*first);
                    }
                }
            }
        }
    }

    fn collect(&self, levels: &[&str], first: bool, out: &mut HashMap<ConnId, QoS>) {
        let dollar = first && levels.first().is_some_and(|l| l.starts_with('$'));
        if !dollar && let Some(hash) = self.children.get("#") {
            merge(out, &hash.subscribers);
        }
        match levels.split_first() {
            None => merge(out, &self.subscribers),
            Some((level, rest)) => {
                if let Some(child) = self.children.get(*level) {
                    child.collect(rest, false, out);
                }
                if !dollar && let Some(plus) = self.children.get("+") {
                    plus.collect(rest, false, out);
                }
            }
        }
    }
}

fn merge(out: &mut HashMap<ConnId, QoS>, subs: &HashMap<ConnId, QoS>) {
    for (conn, qos) in subs {
        out.entry(*conn)
            .and_modify(|q| {
                if *qos > *q {
                    *q = *qos
                }
            })
            .or_insert(*qos);
    }
}

struct Client {
    tx: mpsc::Sender<Outbound>,
    kill: Arc<Notify>,
    filters: HashMap<String, QoS>,
}

/// A retained message.
#[derive(Clone)]
pub(crate) struct Retained {
    pub payload: Bytes,
    pub qos: QoS,
}

#[derive(Default)]
pub(crate) struct Router {
    root: Node,
    clients: HashMap<ConnId, Client>,
    retained: HashMap<String, Retained>,
}

impl Router {
    pub fn connect(&mut self, conn: ConnId, tx: mpsc::Sender<Outbound>, kill: Arc<Notify>) {
        self.clients.insert(
            conn,
            Client {
                tx,
                kill,
                filters: HashMap::new(),
            },
        );
    }

    pub fn disconnect(&mut self, conn: ConnId) {
        if let Some(client) = self.clients.remove(&conn) {
            for filter in client.filters.keys() {
                let levels: Vec<&str> = filter.split('/').collect();
                self.root.remove(&levels, conn);
            }
        }
    }

    /// Adds a subscription and returns the retained messages it matches.
    pub fn subscribe(&mut self, conn: ConnId, filter: &str, qos: QoS) -> Vec<(String, Retained)> {
        let Some(client) = self.clients.get_mut(&conn) else {
            return Vec::new();
        };
        client.filters.insert(filter.to_owned(), qos);
        let levels: Vec<&str> = filter.split('/').collect();
        self.root.insert(&levels, conn, qos);
        self.retained
            .iter()
            .filter(|(topic, _)| filter::matches(topic, filter))
            .map(|(topic, r)| (topic.clone(), r.clone()))
            .collect()
    }

    pub fn unsubscribe(&mut self, conn: ConnId, filter: &str) {
        if let Some(client) = self.clients.get_mut(&conn)
            && client.filters.remove(filter).is_some()
        {
            let levels: Vec<&str> = filter.split('/').collect();
            self.root.remove(&levels, conn);
        }
    }

    /// Stores or (with an empty payload) clears a retained message.
    pub fn retain(&mut self, topic: &str, payload: &Bytes, qos: QoS) {
        if payload.is_empty() {
            self.retained.remove(topic);
        } else {
            self.retained.insert(
                topic.to_owned(),
                Retained {
                    payload: payload.clone(),
                    qos,
                },
            );
        }
    }

    /// The connections a message on `topic` goes to, each with the QoS of
    /// its strongest matching subscription.
    pub fn recipients(&self, topic: &str) -> Vec<Recipient> {
        let levels: Vec<&str> = topic.split('/').collect();
        let mut found = HashMap::new();
        self.root.collect(&levels, true, &mut found);
        found
            .into_iter()
            .filter_map(|(conn, qos)| {
                self.clients
                    .get(&conn)
                    .map(|client| (conn, client.tx.clone(), client.kill.clone(), qos))
            })
            .collect()
    }

    #[cfg(test)]
    pub fn retained_count(&self) -> usize {
        self.retained.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conns(router: &Router, topic: &str) -> Vec<(ConnId, QoS)> {
        let mut v: Vec<(ConnId, QoS)> = router
            .recipients(topic)
            .into_iter()
            .map(|(c, _, _, q)| (c, q))
            .collect();
        v.sort_by_key(|(c, _)| *c);
        v
    }

    #[test]
    fn trie_matches_like_the_filter_function() {
        let mut router = Router::default();
        let filters = ["a/b/c", "a/+/c", "a/#", "#", "+/+/+", "a/b", "$SYS/#"];
        for (i, f) in filters.iter().enumerate() {
            let (tx, _rx) = mpsc::channel(1);
            router.connect(i as u64, tx, Default::default());
            router.subscribe(i as u64, f, QoS::AtMostOnce);
        }
        for topic in [
            "a/b/c",
            "a/b",
            "a",
            "x/y/z",
            "a/x/c/d",
            "$SYS/uptime",
            "$x/b/c",
        ] {
            let expected: Vec<(ConnId, QoS)> = filters
                .iter()
                .enumerate()
                .filter(|(_, f)| filter::matches(topic, f))
                .map(|(i, _)| (i as u64, QoS::AtMostOnce))
                .collect();
            assert_eq!(conns(&router, topic), expected, "topic {topic}");
        }
    }

    #[test]
    fn overlapping_subscriptions_deliver_once_at_the_highest_qos() {
        let mut router = Router::default();
        let (tx, _rx) = mpsc::channel(1);
        router.connect(1, tx, Default::default());
        router.subscribe(1, "a/#", QoS::AtMostOnce);
        router.subscribe(1, "a/b", QoS::AtLeastOnce);
        assert_eq!(conns(&router, "a/b"), vec![(1, QoS::AtLeastOnce)]);
        router.unsubscribe(1, "a/b");
        assert_eq!(conns(&router, "a/b"), vec![(1, QoS::AtMostOnce)]);
        router.disconnect(1);
        assert!(conns(&router, "a/b").is_empty());
        assert!(router.root.is_empty(), "a disconnect prunes the trie");
    }

    #[test]
    fn retained_messages_are_replayed_and_cleared() {
        let mut router = Router::default();
        router.retain("s/a", &Bytes::from_static(b"on"), QoS::AtLeastOnce);
        router.retain("s/b", &Bytes::from_static(b"on"), QoS::AtLeastOnce);
        router.retain("s/b", &Bytes::new(), QoS::AtLeastOnce);
        let (tx, _rx) = mpsc::channel(1);
        router.connect(7, tx, Default::default());
        let replay = router.subscribe(7, "s/+", QoS::AtLeastOnce);
        assert_eq!(replay.len(), 1);
        assert_eq!(replay[0].0, "s/a");
        assert_eq!(router.retained_count(), 1);
    }
}
