package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// API keys of `kubus serve`. The store keeps a key's SHA-256 and metadata, never the key itself.
//
// On disk: bucket "keys" → key id → JSON of APIKey.

var bucketKeys = []byte("keys")

// APIKey is one server API key: its metadata and the SHA-256 of the key.
type APIKey struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Scopes   []string  `json:"scopes"`
	Hash     []byte    `json:"hash"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	LastUsed time.Time `json:"lastUsed,omitzero"`
	Revoked  time.Time `json:"revoked,omitzero"`
}

// PutKey stores a key's record (a new one, or an update of the one with its ID).
func (b *Bolt) PutKey(k APIKey) error {
	if k.ID == "" || len(k.ID) > bolt.MaxKeySize {
		return fmt.Errorf("store: a key needs an id")
	}
	doc, err := json.Marshal(k)
	if err != nil {
		return err
	}
	return b.db.Update(func(btx *bolt.Tx) error {
		kb, err := btx.CreateBucketIfNotExists(bucketKeys)
		if err != nil {
			return err
		}
		return kb.Put([]byte(k.ID), doc)
	})
}

// Keys lists every key record, revoked ones included, oldest first.
func (b *Bolt) Keys() ([]APIKey, error) {
	var out []APIKey
	err := b.db.View(func(btx *bolt.Tx) error {
		kb := btx.Bucket(bucketKeys)
		if kb == nil {
			return nil
		}
		return kb.ForEach(func(id, v []byte) error {
			var k APIKey
			if err := json.Unmarshal(v, &k); err != nil {
				return fmt.Errorf("store: key %s: %w", id, err)
			}
			out = append(out, k)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// UpdateKey reads the key with this id, lets change modify it and stores it again, in one
// transaction; ErrNotFound when there is no such key.
func (b *Bolt) UpdateKey(id string, change func(*APIKey)) (APIKey, error) {
	var k APIKey
	err := b.db.Update(func(btx *bolt.Tx) error {
		kb := btx.Bucket(bucketKeys)
		if kb == nil || len(id) == 0 || len(id) > bolt.MaxKeySize {
			return ErrNotFound
		}
		v := kb.Get([]byte(id))
		if v == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(v, &k); err != nil {
			return err
		}
		change(&k)
		doc, err := json.Marshal(k)
		if err != nil {
			return err
		}
		return kb.Put([]byte(id), doc)
	})
	return k, err
}
