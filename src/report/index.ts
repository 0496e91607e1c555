/** src/report: Danfo aggregation, statistics over seeds (CIs, paired tests, figure summaries), Plotly figure builders, HTML/PNG/SVG export and the paper figures' drawing. */
export * from './frame';
export * from './figure';
export * from './export';
export * from './paper-figures';
export * from './stats';
export * from './summary';
export * from './results-table';
