/** Event payloads in the shape GitHub sends (trimmed to the fields a reader would look at). */
export function pullRequestPayload(opts: { number: number; fork?: boolean; headSha?: string; owner?: string; repo?: string }) {
  const owner = opts.owner ?? 'paddle';
  const repo = opts.repo ?? 'ocr';
  const repository = {
    id: 1,
    name: repo,
    full_name: `${owner}/${repo}`,
    private: false,
    owner: { login: owner, type: 'Organization' },
    html_url: `https://github.com/${owner}/${repo}`,
    default_branch: 'develop',
  };
  const headRepo = opts.fork
    ? { ...repository, id: 2, full_name: `contributor/${repo}`, owner: { login: 'contributor', type: 'User' } }
    : repository;
  return {
    action: 'synchronize',
    number: opts.number,
    pull_request: {
      url: `https://api.github.com/repos/${owner}/${repo}/pulls/${opts.number}`,
      id: 100 + opts.number,
      html_url: `https://github.com/${owner}/${repo}/pull/${opts.number}`,
      number: opts.number,
      state: 'open',
      title: 'Faster CTC decode',
      user: { login: 'contributor', type: 'User' },
      head: { label: 'contributor:feature/faster', ref: 'feature/faster', sha: opts.headSha ?? 'head0000', repo: headRepo },
      base: { label: `${owner}:develop`, ref: 'develop', sha: 'base0000', repo: repository },
      draft: false,
    },
    before: 'before00',
    after: opts.headSha ?? 'head0000',
    repository,
    sender: { login: 'contributor', type: 'User' },
  };
}

export function pushPayload(ref: string, after: string) {
  return {
    ref,
    before: '0000000',
    after,
    repository: { id: 1, name: 'ocr', full_name: 'paddle/ocr', default_branch: 'develop', master_branch: 'develop' },
    pusher: { name: 'someone' },
    head_commit: { id: after, message: 'change' },
  };
}

/** A workflow_run event (the fork pattern's second half) about a run of `event` on `headSha` from `headRepo`. */
export function workflowRunPayload(opts: {
  headSha: string;
  headRepo: string;
  event?: string;
  id?: number;
  owner?: string;
  repo?: string;
}) {
  const owner = opts.owner ?? 'paddle';
  const repo = opts.repo ?? 'ocr';
  const id = opts.id ?? 5151;
  const repository = { id: 1, name: repo, full_name: `${owner}/${repo}`, default_branch: 'develop', owner: { login: owner } };
  const [headOwner = '', headName = ''] = opts.headRepo.split('/');
  return {
    action: 'completed',
    workflow_run: {
      id,
      name: 'perf-gate-measure',
      event: opts.event ?? 'pull_request',
      status: 'completed',
      conclusion: 'failure',
      head_branch: 'feature/faster',
      head_sha: opts.headSha,
      html_url: `https://github.com/${owner}/${repo}/actions/runs/${id}`,
      // GitHub leaves this empty for a PR from a fork.
      pull_requests: [],
      head_repository: { id: 2, name: headName, full_name: opts.headRepo, owner: { login: headOwner } },
      repository,
    },
    workflow: { id: 9, name: 'perf-gate-measure', path: '.github/workflows/perf-gate-measure.yml' },
    repository,
    sender: { login: headOwner, type: 'User' },
  };
}
