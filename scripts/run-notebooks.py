#!/usr/bin/python3
"""Executes notebooks headless with the project's tslab kernel through nbclient (a real Jupyter client).

usage: /usr/bin/python3 scripts/run-notebooks.py [--inplace | --output-dir DIR] [--timeout S] NOTEBOOK...

Each notebook runs with its own folder as working directory and inherits this process's environment
(APC_PROFILE, APC_RESULTS_DIR, APC_FIGURES_DIR select the profile and where results and figures go).
A failing cell stops that notebook; the script prints the error and exits 1 after trying every notebook.
Run scripts/setup-jupyter.sh first (kernel spec, package link).
Cells are written without execution timestamps, so an unchanged tree executes to the same bytes.
"""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ['JUPYTER_PATH'] = os.path.join(ROOT, '.jupyter-runtime') + os.pathsep + os.environ.get('JUPYTER_PATH', '')
os.environ.setdefault('JUPYTER_RUNTIME_DIR', os.path.join(ROOT, '.jupyter-runtime', 'runtime'))

try:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
except ImportError as err:
    sys.exit(f'run-notebooks: {err}; install the Debian package python3-nbclient and use /usr/bin/python3')


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('notebooks', nargs='+')
    out = ap.add_mutually_exclusive_group()
    out.add_argument('--inplace', action='store_true', help='write outputs back into each notebook')
    out.add_argument('--output-dir', help='write executed copies here (default: do not write)')
    ap.add_argument('--timeout', type=int, default=3600, help='seconds per cell (default 3600)')
    args = ap.parse_args()
    if not os.path.exists(os.path.join(ROOT, '.jupyter-runtime', 'kernels', 'tslab', 'kernel.json')):
        sys.exit('run-notebooks: no tslab kernel spec; run scripts/setup-jupyter.sh first')
    failed = []
    for path in args.notebooks:
        t0 = time.time()
        nb = nbformat.read(path, as_version=4)
        # No execution timestamps in the cells (record_timing=False, and old ones dropped): a rerun on an unchanged
        # tree writes the same bytes, so `npm run figures` leaves git clean.
        for cell in nb.cells:
            cell.get('metadata', {}).pop('execution', None)
        client = NotebookClient(nb, timeout=args.timeout, kernel_name='tslab', record_timing=False,
                                resources={'metadata': {'path': os.path.dirname(os.path.abspath(path))}})
        try:
            client.execute()
            status = 'ok'
        except CellExecutionError as err:
            status = 'FAILED'
            failed.append(path)
            print(f'--- {path}: cell failed\n{err}', file=sys.stderr)
            for cell in nb.cells:  # tslab reports some errors on the cell's stderr stream only
                for o in cell.get('outputs', []):
                    if o.get('output_type') == 'stream' and o.get('name') == 'stderr':
                        print(o.get('text', ''), file=sys.stderr)
        if args.inplace:
            nbformat.write(nb, path)
        elif args.output_dir:
            os.makedirs(args.output_dir, exist_ok=True)
            nbformat.write(nb, os.path.join(args.output_dir, os.path.basename(path)))
        print(f'{status:6s} {path} ({time.time() - t0:.1f} s)', flush=True)
    if failed:
        print(f'run-notebooks: {len(failed)} notebook(s) failed: {", ".join(failed)}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
