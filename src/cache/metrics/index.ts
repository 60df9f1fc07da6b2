export { PrometheusExporter, type PrometheusExporterOptions, type StatsSource } from './prometheus.js';
