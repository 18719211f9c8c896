package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error answered in OpenAI's shape:
// {"error": {"message", "type", "param", "code"}}.
type apiError struct {
	status  int
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) Error() string { return e.Message }

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// badRequest is a 400 invalid_request_error about param.
func badRequest(param, code, format string, a ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Message: fmt.Sprintf(format, a...), Type: "invalid_request_error", Param: str(param), Code: str(code)}
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]*apiError{"error": e})
}

var (
	errQueueFull = &apiError{status: http.StatusTooManyRequests, Message: "the server's queue is full; retry later", Type: "rate_limit_error", Code: str("queue_full")}
	errClosing   = &apiError{status: http.StatusServiceUnavailable, Message: "the server is shutting down", Type: "server_error", Code: str("shutting_down")}
	errAuth      = &apiError{status: http.StatusUnauthorized, Message: "missing or invalid API key (Authorization: Bearer KEY)", Type: "invalid_request_error", Code: str("invalid_api_key")}
)
