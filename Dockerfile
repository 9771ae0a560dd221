# Callwright in one image: the editor at / and the REST API, web chat turns and inbound webhooks
# on port 8080, with the runtime and its task worker.
#   docker build -t callwright .
#   docker run -p 8080:8080 -v "$PWD/my-workspace:/workspace" callwright
# SIP calls on 5060/udp (docs/voice.md), text prompts spoken by espeak-ng; SMTP on 2525 for a
# workspace that routes e-mail (docs/email.md).

# --- the editor's static files ----------------------------------------------------------------
FROM node:20-slim AS frontend
WORKDIR /src
COPY . .
# the React editor: frontend/ built from its lockfile into builder/editor/ (with the stamp that
# lets scripts/install.sh in the next stage see it is up to date and skip building it again)
RUN if [ -d frontend ]; then \
      bash scripts/build-editor.sh; \
    else \
      mkdir -p builder/editor; \
    fi

# --- the product --------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime
ENV CALLWRIGHT_VENV=/opt/callwright \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /src
COPY . .
COPY --from=frontend /src/builder/editor ./builder/editor
# espeak-ng speaks text prompts on calls (English and Russian voices ship with it)
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng \
    && rm -rf /var/lib/apt/lists/*
# the same install script as `bash scripts/start.sh` and `bash scripts/test.sh`, so they cannot drift
RUN bash scripts/install.sh
RUN useradd --system --create-home --home-dir /home/callwright --shell /usr/sbin/nologin callwright \
    && mkdir -p /workspace \
    && cp -r examples/workspace/. /workspace/ \
    && chown -R callwright:callwright /workspace
USER callwright
WORKDIR /workspace
# 5060/udp: SIP (serve's voice node); 2525: SMTP, for a workspace that routes e-mail
EXPOSE 8080 5060/udp 2525
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/opt/callwright/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/api/v1/health', timeout=4)"]
CMD ["/opt/callwright/bin/callwright", "serve", "--workspace", "/workspace", "--host", "0.0.0.0", "--sip", "0.0.0.0:5060"]
