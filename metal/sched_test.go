package metal

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCmd is a command buffer the test completes by hand.
type fakeCmd struct {
	id        int
	committed bool
	done      bool
	released  bool
	fail      error
	waited    string
	log       *[]string
}

func (f *fakeCmd) Commit()    { f.committed = true }
func (f *fakeCmd) Done() bool { return f.done }
func (f *fakeCmd) Release()   { f.released = true }
func (f *fakeCmd) Wait(what string) error {
	if !f.committed {
		panic("wait before commit")
	}
	f.done = true
	f.waited = what
	*f.log = append(*f.log, "wait")
	if f.fail != nil {
		return errors.Join(errors.New(what), f.fail)
	}
	return nil
}

func newSchedule(maxDispatches int) (*schedule, *[]*fakeCmd, *[]string) {
	var cmds []*fakeCmd
	var log []string
	s := &schedule{policy: batchPolicy{maxDispatches: maxDispatches}}
	s.open = func() (cmdBuffer, error) {
		c := &fakeCmd{id: len(cmds) + 1, log: &log}
		cmds = append(cmds, c)
		return c, nil
	}
	return s, &cmds, &log
}

func TestScheduleCommitsEveryBatch(t *testing.T) {
	s, cmds, _ := newSchedule(3)
	for i := range 7 {
		b, err := s.current()
		require.NoError(t, err)
		assert.Equal(t, uint64(i/3+1), b.serial)
		s.dispatched(b, "k")
	}
	require.Len(t, *cmds, 3)
	assert.True(t, (*cmds)[0].committed)
	assert.True(t, (*cmds)[1].committed)
	assert.False(t, (*cmds)[2].committed, "the third holds one dispatch and stays open")
	assert.Len(t, s.inflight, 2)

	s.waitAll()
	for _, c := range *cmds {
		assert.True(t, c.committed && c.done && c.released, "command buffer %d", c.id)
	}
	assert.Empty(t, s.inflight)
	assert.Nil(t, s.cur)
	assert.Equal(t, uint64(3), s.completed)
}

func TestScheduleWaitsOnlyAsFarAsNeeded(t *testing.T) {
	s, cmds, _ := newSchedule(1)
	for range 3 {
		b, err := s.current()
		require.NoError(t, err)
		s.dispatched(b, "k")
	}
	s.wait(2)
	assert.True(t, (*cmds)[1].done)
	assert.False(t, (*cmds)[2].done, "batch 3 is not waited for")
	assert.Equal(t, uint64(2), s.completed)
	assert.True(t, s.busy(3))
	assert.False(t, s.busy(2))
}

func TestSchedulePollRetiresFinishedInOrder(t *testing.T) {
	s, cmds, _ := newSchedule(1)
	for range 3 {
		b, err := s.current()
		require.NoError(t, err)
		s.dispatched(b, "k")
	}
	(*cmds)[1].done = true // finished out of order: not retired before 1
	s.poll()
	assert.Zero(t, s.completed)
	(*cmds)[0].done = true
	s.poll()
	assert.Equal(t, uint64(2), s.completed)
	assert.Len(t, s.inflight, 1)
}

func TestScheduleDeferredFrees(t *testing.T) {
	s, _, log := newSchedule(2)
	b, err := s.current()
	require.NoError(t, err)
	buf := &struct{ n int }{n: 1}
	s.dispatched(b, "k", buf)
	assert.Equal(t, []any{buf}, b.keep, "the batch keeps its buffers reachable")
	freed := 0
	s.later(b.serial, func() { freed++; *log = append(*log, "free") })
	assert.Zero(t, freed, "the open batch still uses it")
	assert.True(t, s.pendingFrees())
	s.later(0, func() { freed += 10 })
	assert.Equal(t, 10, freed, "nothing uses serial 0: freed at once")
	s.waitAll()
	assert.Equal(t, 11, freed)
	assert.Equal(t, []string{"wait", "free"}, *log, "freed only after the GPU finished")
	assert.False(t, s.pendingFrees())
}

func TestScheduleReportsFirstErrorOnceWithKernels(t *testing.T) {
	s, cmds, _ := newSchedule(2)
	for _, k := range []string{"matmul_f32", "matmul_f32", "unary_exp_f32", "softmax_f32"} {
		b, err := s.current()
		require.NoError(t, err)
		s.dispatched(b, k)
	}
	(*cmds)[0].fail = errors.New("page fault")
	(*cmds)[1].fail = errors.New("second failure")
	s.waitAll()
	err := s.takeErr()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GPU command buffer running kernels matmul_f32")
	assert.Contains(t, err.Error(), "page fault")
	assert.NotContains(t, err.Error(), "second failure", "the first failure is reported")
	require.NoError(t, s.takeErr(), "reported once")
	assert.Equal(t, "GPU command buffer running kernels unary_exp_f32, softmax_f32", (*cmds)[1].waited)
}

func TestScheduleOpenFailure(t *testing.T) {
	s := &schedule{policy: defaultBatch, open: func() (cmdBuffer, error) { return nil, errors.New("no command buffer") }}
	_, err := s.current()
	require.ErrorContains(t, err, "no command buffer")
	assert.Zero(t, s.serial)
	s.waitAll() // nothing to wait for
}

func TestKernelList(t *testing.T) {
	assert.Equal(t, "a, b", kernelList([]string{"a", "b", "a"}))
	assert.Empty(t, kernelList(nil))
	assert.EqualError(t, statusError("x", "error"), "metal: x ended with status error")
}
