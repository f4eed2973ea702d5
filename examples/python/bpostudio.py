"""A small BpoStudio API client that needs nothing but Python's standard library.

    from bpostudio import Client
    api = Client("http://localhost:5000", token="bpo_...")
    api.push_image(open("bus.jpg", "rb").read())          # returns "sha256:<hex>" for records to name
    api.push_records(dataset_id, records, fmt="bpo")       # in calls of 5,000; merged, a repeat adds nothing
    for pair in api.pairs(dataset_id, status="accepted"):  # every page, by cursor
        ...
"""
import hashlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request


class ApiError(Exception):
    """A refused call: its HTTP status and the server's problem details (detail, and where when the input says)."""

    def __init__(self, status, problem):
        self.status = status
        self.problem = problem
        where = problem.get("where")
        super().__init__(f"{status}: {problem.get('detail') or problem.get('title')}" + (f" (at {where})" if where else ""))


class Client:
    def __init__(self, base_url, token, timeout=300, retries=5):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = token
        self.timeout = timeout
        self.retries = retries

    def _call(self, method, path, body=None, content_type="application/json", raw=False):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode("utf-8")
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.base + path, data=data, method=method)
            request.add_header("Authorization", "Bearer " + self.token)
            if data is not None:
                request.add_header("Content-Type", content_type)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    payload = response.read()
                    return payload if raw else (json.loads(payload) if payload else None)
            except urllib.error.HTTPError as error:
                # The server limits calls per token; wait and try again rather than fail a long push.
                if error.code == 429 and attempt < self.retries:
                    time.sleep(2 ** attempt)
                    continue
                text = error.read()
                try:
                    problem = json.loads(text)
                except ValueError:
                    problem = {"detail": text.decode("utf-8", "replace")}
                raise ApiError(error.code, problem) from None

    def datasets(self):
        return self._call("GET", "/datasets")

    def create_dataset(self, name, description=None):
        return self._call("POST", "/datasets", {"name": name, "description": description})

    def push_image(self, data):
        """Stores the bytes under their SHA-256 and returns the reference a record's image field takes."""
        digest = hashlib.sha256(data).hexdigest()
        self._call("PUT", "/images/" + digest, data, content_type="application/octet-stream")
        return "sha256:" + digest

    def push_records(self, dataset_id, records, fmt="bpo", batch=5000):
        """Pushes records as JSON lines in calls of `batch`; returns the summed counts and every refused record."""
        total = {"imported": 0, "samplesPresent": 0, "newResponses": 0, "repeatedResponses": 0, "rejected": []}
        records = list(records)
        for start in range(0, len(records), batch):
            lines = "\n".join(json.dumps(r) for r in records[start:start + batch]).encode("utf-8")
            answer = self._call("POST", f"/datasets/{dataset_id}/records?format={urllib.parse.quote(fmt)}", lines, "application/x-ndjson")
            for key in ("imported", "samplesPresent", "newResponses", "repeatedResponses"):
                total[key] += answer[key]
            total["rejected"] += answer["rejected"]
        return total

    def _pages(self, path, params, limit):
        after = None
        while True:
            query = dict(params, limit=limit, **({"after": after} if after is not None else {}))
            page = self._call("GET", path + "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None}))
            yield from page["items"]
            after = page["next"]
            if after is None:
                return

    def pairs(self, dataset_id, status=None, kind=None, method=None, finding=None, search=None, include=None, limit=1000):
        return self._pages(f"/datasets/{dataset_id}/pairs",
                           {"status": status, "kind": kind, "method": method, "finding": finding, "search": search, "include": include}, limit)

    def events(self, dataset_id, after=None, limit=1000):
        """Review events after a cursor (an event id): what annotators decided since the pipeline last looked."""
        page = self._call("GET", f"/datasets/{dataset_id}/events?limit={limit}" + (f"&after={after}" if after is not None else ""))
        return page["items"], page["next"]

    def bulk(self, dataset_id, operation, filter=None, reason=None, include_decided=False):
        """A lead's decision over every pair matching a filter (Accept, Reject, Flag, Assign, Unassign); undo it with undo_bulk."""
        return self._call("POST", f"/datasets/{dataset_id}/bulk",
                          {"filter": filter or {}, "operation": operation, "reason": reason, "includeDecided": include_decided})

    def undo_bulk(self, bulk_id):
        return self._call("POST", f"/bulk/{bulk_id}/undo")

    def approve(self, dataset_id, notes=None):
        return self._call("POST", f"/datasets/{dataset_id}/versions", {"notes": notes})

    def export(self, dataset_id, fmt, version=None, poll=1.0):
        """Starts an export, waits for its job and returns the finished export (with its download link)."""
        export = self._call("POST", f"/datasets/{dataset_id}/exports", {"format": fmt, "version": version})
        while export["status"] in ("Queued", "Running"):
            time.sleep(poll)
            export = self._call("GET", f"/exports/{export['id']}")
        if export["status"] != "Completed":
            raise ApiError(409, {"detail": f"export {export['id']} ended {export['status']}: {export.get('error')}"})
        return export

    def download(self, export, path):
        data = self._call("GET", f"/exports/{export['id']}/download", raw=True)
        with open(path, "wb") as file:
            file.write(data)
        return path
