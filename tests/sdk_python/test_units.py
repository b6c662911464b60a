"""The SDK's pure parts: payload encoding, error classification, retry decisions."""

import unittest

import grpc

import cable_sdk
from cable_sdk import _payload, _retry
from cable_sdk.errors import error_for


class PayloadTest(unittest.TestCase):
    def test_encoding(self):
        self.assertEqual(_payload.encode("as is"), "as is")
        self.assertEqual(_payload.encode('{"a": 1}'), '{"a": 1}')
        self.assertEqual(_payload.encode("é".encode()), "é")
        self.assertEqual(_payload.encode({"é": [1, None, True]}), '{"é":[1,null,true]}')
        self.assertEqual(_payload.encode(None), "null")
        self.assertEqual(_payload.encode(2.5), "2.5")

    def test_unencodable(self):
        with self.assertRaises(ValueError):
            _payload.encode(b"\xff")
        with self.assertRaises(ValueError):
            _payload.encode(float("nan"))
        with self.assertRaises(TypeError):
            _payload.encode({1, 2})


class ErrorTest(unittest.TestCase):
    def test_classes_by_code(self):
        cases = {
            grpc.StatusCode.INVALID_ARGUMENT: (cable_sdk.InvalidArgument, False),
            grpc.StatusCode.UNAUTHENTICATED: (cable_sdk.Unauthenticated, False),
            grpc.StatusCode.NOT_FOUND: (cable_sdk.NotFound, False),
            grpc.StatusCode.FAILED_PRECONDITION: (cable_sdk.FailedPrecondition, False),
            grpc.StatusCode.UNAVAILABLE: (cable_sdk.Unavailable, True),
            grpc.StatusCode.DEADLINE_EXCEEDED: (cable_sdk.DeadlineExceeded, True),
            grpc.StatusCode.RESOURCE_EXHAUSTED: (cable_sdk.ResourceExhausted, True),
            grpc.StatusCode.DATA_LOSS: (cable_sdk.CableError, False),
        }
        for code, (cls, retryable) in cases.items():
            e = error_for(code, "why")
            self.assertIs(type(e), cls)
            self.assertIsInstance(e, cable_sdk.CableError)
            self.assertEqual((e.code, e.details, e.retryable), (code, "why", retryable))
            self.assertEqual(str(e), f"{code.name}: why")

    def test_not_sent_only_for_connection_failures(self):
        refused = ("failed to connect to all addresses; last error: UNKNOWN: "
                   "ipv4:127.0.0.1:1: Failed to connect to remote host: Connection refused")
        self.assertTrue(error_for(grpc.StatusCode.UNAVAILABLE, refused).not_sent)
        self.assertFalse(error_for(grpc.StatusCode.UNAVAILABLE, "Socket closed").not_sent)
        self.assertFalse(error_for(grpc.StatusCode.UNAVAILABLE, "busy").not_sent)
        self.assertFalse(error_for(grpc.StatusCode.DEADLINE_EXCEEDED, refused).not_sent)


class RetryDecisionTest(unittest.TestCase):
    policy = cable_sdk.RetryPolicy(max_attempts=3, initial_backoff=0.1, max_backoff=1.0)
    not_sent = error_for(grpc.StatusCode.UNAVAILABLE, "failed to connect to all addresses")
    answered = error_for(grpc.StatusCode.UNAVAILABLE, "busy")

    def test_publishes_retry_only_when_not_sent(self):
        self.assertIsNotNone(_retry.delay_before_retry(self.policy, 1, self.not_sent, False, 5))
        self.assertIsNone(_retry.delay_before_retry(self.policy, 1, self.answered, False, 5))
        timeout = error_for(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
        self.assertIsNone(_retry.delay_before_retry(self.policy, 1, timeout, False, 5))

    def test_reads_retry_on_retryable_codes(self):
        self.assertIsNotNone(_retry.delay_before_retry(self.policy, 1, self.answered, True, 5))
        bad = error_for(grpc.StatusCode.INVALID_ARGUMENT, "no")
        self.assertIsNone(_retry.delay_before_retry(self.policy, 1, bad, True, 5))

    def test_attempts_and_deadline_bound_retries(self):
        self.assertIsNone(_retry.delay_before_retry(self.policy, 3, self.not_sent, False, 5))
        self.assertIsNone(_retry.delay_before_retry(self.policy, 1, self.not_sent, False, 0.05))
        delays = [self.policy.backoff(a) for a in (1, 2, 3, 4, 5)]
        self.assertTrue(all(0 < d <= 1.0 for d in delays), delays)
        self.assertLess(delays[0], delays[3])

    def test_policy_validation(self):
        with self.assertRaises(ValueError):
            cable_sdk.RetryPolicy(max_attempts=0)
        with self.assertRaises(ValueError):
            cable_sdk.Publisher("127.0.0.1:1", timeout=0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
