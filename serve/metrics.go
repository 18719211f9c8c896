package serve

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series, on a registry of its own
// (two servers in one process do not collide).
type metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	queued         prometheus.Gauge
	active         prometheus.Gauge
	cancelled      prometheus.Counter
	promptTokens   prometheus.Counter
	generated      prometheus.Counter
	ttft           prometheus.Histogram
	interToken     prometheus.Histogram
	prefillSeconds prometheus.Histogram
	stepSeconds    prometheus.Histogram
}

func newMetrics() *metrics {
	latency := prometheus.ExponentialBuckets(0.0005, 2, 16) // 0.5 ms .. 16 s
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lbrx_requests_total", Help: "HTTP requests by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		queued:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "lbrx_queue_requests", Help: "Requests waiting for a batch slot."}),
		active:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "lbrx_batch_sequences", Help: "Sequences in the running batch."}),
		cancelled:    prometheus.NewCounter(prometheus.CounterOpts{Name: "lbrx_cancelled_sequences_total", Help: "Sequences dropped because their client went away or stopped them."}),
		promptTokens: prometheus.NewCounter(prometheus.CounterOpts{Name: "lbrx_prompt_tokens_total", Help: "Prompt tokens prefilled."}),
		generated:    prometheus.NewCounter(prometheus.CounterOpts{Name: "lbrx_generated_tokens_total", Help: "Tokens generated."}),
		ttft: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lbrx_time_to_first_token_seconds", Help: "Time from a request's arrival in the queue to its first token.", Buckets: latency,
		}),
		interToken: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lbrx_inter_token_seconds", Help: "Time between a sequence's consecutive tokens.", Buckets: latency,
		}),
		prefillSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lbrx_prefill_seconds", Help: "Time to prefill one prompt.", Buckets: latency,
		}),
		stepSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "lbrx_decode_step_seconds", Help: "Time of one batched decode pass.", Buckets: latency,
		}),
	}
	m.reg.MustRegister(m.requests, m.queued, m.active, m.cancelled, m.promptTokens, m.generated,
		m.ttft, m.interToken, m.prefillSeconds, m.stepSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
