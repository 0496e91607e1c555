/** src/report: Danfo aggregation, Plotly figure builders, HTML/PNG/SVG export and the paper figures' drawing. */
export * from './frame';
export * from './figure';
export * from './export';
export * from './paper-figures';
