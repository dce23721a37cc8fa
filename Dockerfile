# syntax=docker/dockerfile:1
# Undersigned: one image for web (gunicorn), migrate, worker and beat (docker-compose.yml).
#   docker build -t undersigned .
#   docker run -e SECRET_KEY=... -e DATABASE_URL=... -e REDIS_URL=... -p 8000:8000 undersigned
ARG PYTHON_IMAGE=python:3.13-slim-bookworm

# --- build: resolve the locked dependencies into /app/.venv with uv ------------------------------
FROM ${PYTHON_IMAGE} AS build

# uv comes from PyPI through pip (no installer script from another host).
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"

ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON=/usr/local/bin/python3.13 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy

WORKDIR /app
# Only the lock and project metadata: this layer is rebuilt when dependencies change, not code.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# --- runtime ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# Libraries WeasyPrint loads at run time (Pango, HarfBuzz incl. subsetting). The fonts of
# the PDFs are the project's own (Latin, Chinese, Tibetan, Arabic script: letters/pdf_fonts.py),
# fetched into the image below; PDFs never fetch fonts from the network at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fontconfig \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 undersigned \
 && useradd --system --uid 10001 --gid undersigned --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin undersigned

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    PDF_FONT_DIR=/app/fonts

WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY . .
# The PDFs' fonts, pinned and checked (outside /app/var, which compose mounts a volume over).
RUN python scripts/fetch_fonts.py --dir /app/fonts
RUN python scripts/compile_messages.py

# Static files are collected into the image (served by whitenoise). The SECRET_KEY and
# EMAIL_URL here exist only for this one command: they are not ENV of the image and not used
# at run time (production refuses to start without a real EMAIL_URL).
# /app/media (uploads) and /app/var (celery beat schedule) are the only writable directories;
# named volumes mounted there inherit this ownership.
# FIELD_ENCRYPTION_KEYS and FIELD_INDEX_KEY likewise (a throwaway key; production refuses to start without one).
RUN SECRET_KEY=collectstatic-at-build-time-only DEBUG=false EMAIL_URL=filemail:///tmp/unused \
      FIELD_ENCRYPTION_KEYS=Y29sbGVjdHN0YXRpYy1hdC1idWlsZC10aW1lLW9ubHk= \
      FIELD_INDEX_KEY=collectstatic-at-build-time-only \
      python manage.py collectstatic --noinput \
 && mkdir -p /app/media /app/var \
 && chown undersigned:undersigned /app/media /app/var

USER undersigned
EXPOSE 8000

# No access log: it would record client IP addresses and tokenised URLs (DESIGN.md §2).
# Extra gunicorn options can be given at run time in GUNICORN_CMD_ARGS.
CMD ["gunicorn", "config.wsgi:application", "--workers", "2", "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm"]
