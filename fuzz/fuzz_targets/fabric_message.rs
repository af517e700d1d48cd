//! Fuzzes every decoder of MQTT payloads in the edge fabric (both
//! directions): arbitrary bytes give a clear error or a message that
//! survives an encode/decode round trip unchanged.

#![no_main]

use bantong_fabric::msg::{
    self, Ack, CatalogueUpdate, Command, Desired, EventBatch, Heartbeat, Reply, Report, Status,
};
use bantong_fabric::{decode, encode};
use libfuzzer_sys::fuzz_target;

fn round_trip<T>(data: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize + msg::Validate + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = decode::<T>(data) {
        let again: T = decode(&encode(&value)).expect("a decoded message re-decodes");
        assert_eq!(again, value);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, payload)) = data.split_first() else {
        return;
    };
    match which % 10 {
        0 => round_trip::<Status>(payload),
        1 => round_trip::<Heartbeat>(payload),
        2 => round_trip::<EventBatch>(payload),
        3 => round_trip::<Ack>(payload),
        4 => round_trip::<Desired>(payload),
        5 => round_trip::<Command>(payload),
        6 => round_trip::<Reply>(payload),
        7 => round_trip::<Report>(payload),
        8 => round_trip::<CatalogueUpdate>(payload),
        _ => {
            if let Ok(events) = msg::decode_batch_lenient(payload) {
                assert!(!events.is_empty());
            }
        }
    }
});
