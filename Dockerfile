# One image for every fapiao process (worker, gateway, topics job, sandboxes): `fapiao <command>`.
# Base pinned to an exact tag; pin by digest too (python:3.11.13-slim-bookworm@sha256:…) where
# builds must be reproducible to the byte.
FROM python:3.11.13-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY fapiao ./fapiao
# Wheels of the project and every dependency, so the final stage needs no compiler and no cache.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11.13-slim-bookworm
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /app fapiao
USER 10001:10001
WORKDIR /app
# In a container the web port and the gateway must listen beyond loopback; logs go to a collector as JSON.
ENV PYTHONUNBUFFERED=1 \
    FAPIAO_WEB_HOST=0.0.0.0 \
    FAPIAO_GATEWAY_HOST=0.0.0.0 \
    FAPIAO_DATA_DIR=/app/var \
    FAPIAO_LOG_FORMAT=json
EXPOSE 8780 8781
ENTRYPOINT ["fapiao"]
CMD ["worker"]
