# syntax=docker/dockerfile:1
# --- build stage: wheels for every dependency ------------------------------------------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /build
COPY requirements.txt .
RUN pip wheel --wheel-dir /wheels -r requirements.txt

# --- runtime stage ----------------------------------------------------------------------------
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DJANGO_SETTINGS_MODULE=billora.settings
RUN groupadd --system billora && useradd --system --gid billora --home /app billora
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels /wheels/* && rm -rf /wheels
COPY --chown=billora:billora . .
# collectstatic and compile_catalogs (the translations' .mo files, with Babel) need a key to
# import settings; it is not the runtime key.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && SECRET_KEY=collectstatic-only python manage.py compile_catalogs --force \
    && mkdir -p /app/var/media && chown -R billora:billora /app/var /app/staticfiles
USER billora
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["gunicorn", "billora.wsgi:application", "--config", "billora/gunicorn_conf.py"]
