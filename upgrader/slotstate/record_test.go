package slotstate

import "testing"

func TestRecordRoundTrip(t *testing.T) {
	p := t.TempDir() + "/os/record.json"
	r, err := LoadRecord(p)
	if err != nil || len(r.Slots) != 0 {
		t.Fatalf("empty record: %v %+v", err, r)
	}
	r.Slots["a"] = SlotInfo{Version: "0.1.0"}
	r.Pending = &Pending{From: "a", To: "b", ToVersion: "0.2.0"}
	if err := r.Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := LoadRecord(p)
	if err != nil || got.Slots["a"].Version != "0.1.0" || got.Pending.To != "b" {
		t.Fatalf("LoadRecord = %+v, %v", got, err)
	}
}
