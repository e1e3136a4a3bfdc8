import { describe, expect, it } from '@jest/globals';
import { apiRoute } from '../../../src/runtime/api-route.js';
import { tracingRequested } from '../../../src/runtime/tracing.js';

describe('tracingRequested', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'console, otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, false],
  ])('%j → %s', (env, expected) => {
    expect(tracingRequested(env)).toBe(expected);
  });
});

describe('apiRoute', () => {
  it.each([
    ['/apis/networking.k8s.io/v1/networkpolicies', '/apis/networking.k8s.io/v1/networkpolicies'],
    ['/apis/networking.k8s.io/v1/namespaces/partner-cp/networkpolicies', '/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies'],
    ['/apis/networking.kf.dev/v1alpha1/namespaces/p/appnetworkpolicies/partner-api/status', '/apis/networking.kf.dev/v1alpha1/namespaces/{namespace}/appnetworkpolicies/{name}/status'],
    ['/api/v1/namespaces', '/api/v1/namespaces'],
    ['/api/v1/namespaces/partner-cp', '/api/v1/namespaces/{name}'],
    ['/api/v1/namespaces/lonely-cp/events', '/api/v1/namespaces/{namespace}/events'],
    ['/apis/kf.dev/v1alpha1/spaces/kf-toggle', '/apis/kf.dev/v1alpha1/spaces/{name}'],
  ])('%s → %s', (path, route) => {
    expect(apiRoute(path)).toBe(route);
  });
});
