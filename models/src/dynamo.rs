//! A DynamoDB-like table of lock items with conditional writes: each call is one atomic step.
//!
//! Only what the lock manager of seed 000 uses: put-if-absent, a conditional update on the
//! owner, a read, and a conditional delete. A lock item names itself to the facade
//! (`trace::holds`, `trace::lets_go`) as `lock item KEY`, so timelines draw who holds it.

use racecheck::sync::Mutex;
use racecheck::trace;
use std::collections::BTreeMap;

/// One lock item: who holds it, and how many heartbeats renewed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockItem {
    pub owner: String,
    pub heartbeats: u32,
}

/// A `ConditionalCheckFailedException`: the condition on the item did not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionFailed;

#[derive(Debug)]
pub struct Table {
    items: Mutex<BTreeMap<String, LockItem>>,
}

impl Table {
    pub fn new(name: &'static str) -> Self {
        Table {
            items: Mutex::named(name, BTreeMap::new()),
        }
    }

    /// `PutItem` with `attribute_not_exists(key)`.
    pub fn put_if_absent(&self, key: &str, owner: &str) -> Result<(), ConditionFailed> {
        trace::event("dynamodb: PutItem attribute_not_exists");
        let mut items = self.items.lock().unwrap();
        if items.contains_key(key) {
            return Err(ConditionFailed);
        }
        items.insert(
            key.to_string(),
            LockItem {
                owner: owner.to_string(),
                heartbeats: 0,
            },
        );
        trace::holds(format!("lock item {key}"));
        Ok(())
    }

    /// `GetItem`.
    pub fn get(&self, key: &str) -> Option<LockItem> {
        trace::event("dynamodb: GetItem");
        self.items.lock().unwrap().get(key).cloned()
    }

    /// `UpdateItem` renewing the lease, on condition `owner = :me`.
    pub fn renew_if_owner(&self, key: &str, owner: &str) -> Result<(), ConditionFailed> {
        trace::event("dynamodb: UpdateItem owner = :me");
        let mut items = self.items.lock().unwrap();
        match items.get_mut(key) {
            Some(item) if item.owner == owner => {
                item.heartbeats += 1;
                Ok(())
            }
            _ => Err(ConditionFailed),
        }
    }

    /// `DeleteItem` on condition `owner = :me`.
    pub fn delete_if_owner(&self, key: &str, owner: &str) -> Result<(), ConditionFailed> {
        trace::event("dynamodb: DeleteItem owner = :me");
        let mut items = self.items.lock().unwrap();
        match items.get(key) {
            Some(item) if item.owner == owner => {
                items.remove(key);
                trace::lets_go(format!("lock item {key}"));
                Ok(())
            }
            _ => Err(ConditionFailed),
        }
    }
}
