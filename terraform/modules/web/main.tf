# The web console: a private bucket read by CloudFront through Origin Access Control,
# HTTPS only, security headers on every response.

locals {
  content_types = {
    html  = "text/html; charset=utf-8"
    js    = "text/javascript; charset=utf-8"
    mjs   = "text/javascript; charset=utf-8"
    css   = "text/css; charset=utf-8"
    json  = "application/json"
    map   = "application/json"
    svg   = "image/svg+xml"
    png   = "image/png"
    jpg   = "image/jpeg"
    jpeg  = "image/jpeg"
    gif   = "image/gif"
    ico   = "image/x-icon"
    webp  = "image/webp"
    txt   = "text/plain; charset=utf-8"
    woff  = "font/woff"
    woff2 = "font/woff2"
  }

  # Generated files are written below; a copy left in web/ by a local run is not uploaded.
  generated = ["config.js", "models.json"]
  site_files = {
    for path in fileset(var.site_dir, "**") : path => lower(element(split(".", path), length(split(".", path)) - 1))
    if !contains(local.generated, path) && !startswith(basename(path), ".")
  }

  # What changes with each deployment is never cached long.
  no_cache = ["index.html", "config.js", "models.json"]

  # AWS-managed policies, referenced by their fixed ids.
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  security_headers_policy_id  = "67f7725c-6f97-4210-82d7-5512b31e9d03"
}

module "site" {
  source = "../bucket"

  name = var.bucket_name
  # SSE-S3: CloudFront's OAC can read SSE-KMS objects only if the key policy grants it
  # kms:Decrypt, and the AWS-managed aws/s3 key's policy cannot be changed (every object would
  # answer 403). The files are the public console, so a customer key would add cost, not secrecy.
  sse_algorithm = "AES256"
  policy_statements = [{
    Sid       = "CloudFrontReadsThroughOAC"
    Effect    = "Allow"
    Principal = { Service = "cloudfront.amazonaws.com" }
    Action    = "s3:GetObject"
    Resource  = "arn:aws:s3:::${var.bucket_name}/*"
    Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.this.arn } }
  }]
  emulator_policy_conditions_ignored = var.emulator_policy_conditions_ignored
  tags                               = var.tags
}

resource "aws_cloudfront_origin_access_control" "this" {
  name                              = "${var.name}_web"
  description                       = "CloudFront reads the ${var.name} console bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "this" {
  count = var.emulator_managed_headers_policy ? 0 : 1

  name    = "${var.name}_security_headers"
  comment = "Security headers of the ${var.name} console"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
    content_security_policy {
      content_security_policy = var.content_security_policy
      override                = true
    }
  }
}

resource "aws_cloudfront_distribution" "this" {
  # checkov:skip=CKV_AWS_68:WAF is a per-account choice with its own cost; the site is static and read-only
  # checkov:skip=CKV_AWS_86:access logging would need a log bucket with ACLs; enable per account if wanted
  # checkov:skip=CKV_AWS_310:one origin; a failover origin would be a second copy of the same files
  # checkov:skip=CKV_AWS_374:the console is not restricted by country
  # checkov:skip=CKV_AWS_174:the default *.cloudfront.net certificate fixes the TLS policy; a custom domain brings its own
  # checkov:skip=CKV2_AWS_42:no custom domain, so the default certificate
  # checkov:skip=CKV2_AWS_47:static files only; no Log4j-style origin exists behind this distribution
  enabled             = true
  comment             = "${var.name} web console"
  default_root_object = "index.html"
  price_class         = var.price_class
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  wait_for_deployment = !var.emulator_skip_deployment_wait

  origin {
    origin_id                = "site"
    domain_name              = module.site.regional_domain_name
    origin_access_control_id = var.emulator_without_oac_attachment ? null : aws_cloudfront_origin_access_control.this.id
  }

  default_cache_behavior {
    target_origin_id           = "site"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    viewer_protocol_policy     = "redirect-to-https"
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = var.emulator_managed_headers_policy ? local.security_headers_policy_id : aws_cloudfront_response_headers_policy.this[0].id

    dynamic "forwarded_values" {
      for_each = var.emulator_forwarded_values_echoed ? [1] : []
      content {
        query_string = false

        cookies {
          forward = "none"
        }
      }
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
    ssl_support_method             = var.emulator_sni_only_echoed ? "sni-only" : null
  }

  tags = var.tags
}

resource "aws_s3_object" "site" {
  for_each = local.site_files

  bucket        = module.site.id
  key           = each.key
  source        = "${var.site_dir}/${each.key}"
  source_hash   = filemd5("${var.site_dir}/${each.key}") # not etag: an SSE-KMS object's ETag is no MD5
  content_type  = lookup(local.content_types, each.value, "application/octet-stream")
  cache_control = contains(local.no_cache, each.key) ? "no-cache" : "max-age=300"
}

resource "aws_s3_object" "config" {
  bucket        = module.site.id
  key           = "config.js"
  content       = "window.APP_CONFIG = ${jsonencode(var.app_config)};\n"
  content_type  = local.content_types.js
  cache_control = "no-cache"
}

resource "aws_s3_object" "models" {
  bucket        = module.site.id
  key           = "models.json"
  source        = var.models_json
  source_hash   = filemd5(var.models_json)
  content_type  = local.content_types.json
  cache_control = "no-cache"
}
