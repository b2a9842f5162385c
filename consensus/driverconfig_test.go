package consensus

import (
	"errors"
	"strings"
	"testing"
)

func TestDriverConfigValidate(t *testing.T) {
	invalid := errors.New("invalid")
	good := DefaultDriverConfig()
	good.GroupID, good.BlockGasLimit = "group0", 30_000_000
	if err := good.Validate(invalid); err != nil {
		t.Fatal(err)
	}
	for field, brk := range map[string]func(*DriverConfig){
		"TickInterval":     func(c *DriverConfig) { c.TickInterval = 0 },
		"InboxSize":        func(c *DriverConfig) { c.InboxSize = -1 },
		"BlockGasLimit":    func(c *DriverConfig) { c.BlockGasLimit = 0 },
		"BlockLimitWindow": func(c *DriverConfig) { c.BlockLimitWindow = 0 },
		"GroupID":          func(c *DriverConfig) { c.GroupID = "" },
	} {
		c := good
		brk(&c)
		if err := c.Validate(invalid); !errors.Is(err, invalid) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: %v", field, err)
		}
	}
}
