// /api/v1/auth… (reference/bacalhau-api.md §2 rows 21–23, §4): the "ClientKey" challenge that
// Bacalhau's Go CLI answers before its first request when it has no API key or token.
//
// The server offers its node ID as the phrase; the client signs it (RSA PKCS#1 v1.5 over SHA-256)
// and sends the signature with its public key. Without users (ApiConfig::auth) a valid signature
// earns an opaque token: the API lets every request through anyway, so the token only lets the
// CLI proceed; the check still stops a client from "answering" with garbage. With users, any key
// could sign the phrase, so the answer is refused with the reason the CLI shows: the operator's
// API keys or usernames and passwords are the way in (api/auth.h).

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

#include <boost/json/object.hpp>

#include "api/endpoints/endpoints.h"
#include "common/ids.h"
#include "common/strings.h"
#include "models/json.h"

namespace cod::api::endpoints {

namespace {

namespace json = boost::json;

constexpr const char* kClientKeyMethod = "ClientKey";

std::string challengePhrase(const ApiDeps& deps) {
  std::string id = deps.node_info ? deps.node_info().node_id : "";
  return id.empty() ? std::string("cod") : id;
}

json::object requirement(const ApiDeps& deps) {
  return json::object{
      {"type", "challenge"},
      {"params", json::object{{"InputPhrase", base64Encode(challengePhrase(deps))}}}};
}

// The public key as the Go CLI sends it (PKCS#1 RSAPublicKey DER), or SubjectPublicKeyInfo.
EVP_PKEY* parsePublicKey(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* key = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size()));
  if (key != nullptr) return key;
  p = reinterpret_cast<const unsigned char*>(der.data());
  return d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
}

bool verifySignature(const std::string& public_key_der, const std::string& signature,
                     const std::string& phrase) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(parsePublicKey(public_key_der),
                                                          &EVP_PKEY_free);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(phrase.data()),
                          phrase.size()) == 1;
}

HttpResponse authResult(bool success, const std::string& token_or_reason) {
  json::object auth;
  auth["success"] = success;
  auth[success ? "token" : "reason"] = token_or_reason;
  json::object body{{"Authentication", std::move(auth)}};
  HttpResponse res = jsonOk(body);
  if (!success) res.status = 401;
  return res;
}

// Checks the client's answer, MethodData: base64 of {"PhraseSignature":"<b64>","PublicKey":"<b64>"}
// (the object itself is accepted too). Returns "" when valid, else why not.
std::string checkAnswer(const json::value& method_data, const std::string& phrase) {
  Result<json::value> answer = json::value();
  if (method_data.is_string()) {
    std::string answer_text;
    if (!base64Decode(std::string(method_data.as_string()), &answer_text)) {
      return "MethodData is not base64";
    }
    answer = models::parseJson(answer_text, models::InvalidUtf8::kReject, kMaxBodyJsonMemory);
  } else {
    answer = method_data;
  }
  if (!answer.isOk() || !answer->is_object()) return "MethodData is not a JSON object";
  std::string sig_b64;
  std::string key_b64;
  if (!optionalString(answer->as_object(), "PhraseSignature", &sig_b64).isOk() ||
      !optionalString(answer->as_object(), "PublicKey", &key_b64).isOk() || sig_b64.empty() ||
      key_b64.empty()) {
    return "the answer needs PhraseSignature and PublicKey strings";
  }
  std::string signature;
  std::string key;
  if (!base64Decode(sig_b64, &signature) || !base64Decode(key_b64, &key)) {
    return "PhraseSignature and PublicKey must be base64";
  }
  if (!verifySignature(key, signature, phrase)) return "the phrase signature does not verify";
  return "";
}

}  // namespace

void registerAuthRoutes(Router& router, const ApiDeps& deps, const ApiConfig& config) {
  router.add("GET", "/api/v1/auth", [&deps](const HttpRequest&) -> Result<HttpResponse> {
    json::object methods{{kClientKeyMethod, requirement(deps)}};
    return jsonOk(json::object{{"NextToken", ""}, {"Methods", std::move(methods)}});
  });
  router.add("GET", "/api/v1/auth/:name", [&deps](const HttpRequest& req) -> Result<HttpResponse> {
    if (req.pathParam("name") != kClientKeyMethod) {
      return notFound("no authentication method named '" + req.pathParam("name") +
                      "'; available: ClientKey");
    }
    return jsonOk(requirement(deps));
  });
  router.add("POST", "/api/v1/auth/:name",
             [&deps, &config](const HttpRequest& req) -> Result<HttpResponse> {
               if (req.pathParam("name") != kClientKeyMethod) {
                 return notFound("no authentication method named '" + req.pathParam("name") +
                                 "'; available: ClientKey");
               }
               COD_ASSIGN_OR_RETURN(json::object body, bodyObject(req, /*allow_empty=*/false));
               const json::value* method_data = models::findKey(body, "MethodData");
               if (method_data == nullptr || method_data->is_null()) {
                 return invalidArgument("MethodData: the signed challenge is missing");
               }
               std::string why = checkAnswer(*method_data, challengePhrase(deps));
               if (!why.empty()) return authResult(false, why);
               if (config.auth.enabled()) {
                 return authResult(false,
                                   "this orchestrator lets in only its configured users: set "
                                   "BACALHAU_API_KEY (or COD_API_KEY) to your API key, or "
                                   "BACALHAU_API_USERNAME and BACALHAU_API_PASSWORD");
               }
               return authResult(true, "cod-" + newUuid());
             });
}

}  // namespace cod::api::endpoints
